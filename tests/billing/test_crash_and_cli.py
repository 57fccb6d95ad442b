"""A real ``miniaistudio serve`` with billing on: the admin CLI grants and shows credits while it
runs, and a kill -9 in the middle of a priced run leaves no credits held after the restart."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path

import httpx
from sqlalchemy import text

import servers
from live_process import (
    CLI,
    ServedStudio,
    processes_mentioning,
    signed_in,
    start_slow_run,
    wait_for,
    wait_until_encoding,
)

EMAIL = "payer@example.com"


def credits_cli(served: ServedStudio, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), "credits", *args, "--data-dir", str(served.data_dir)], env=served.env,
                          capture_output=True, text=True, timeout=60)


def balance(served: ServedStudio, token: str) -> dict[str, object]:
    r = httpx.get(f"{served.url}/api/v2/billing/balance", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text
    found: dict[str, object] = r.json()
    return found


async def test_kill_9_mid_run_then_restart_releases_the_hold(tmp_path: Path, long_clip: Path) -> None:
    data_dir = tmp_path / "data"
    served = ServedStudio(data_dir, tmp_path / "server.log")
    served.env.update({"MINIAI_BILLING": "credits", "MINIAI_NODE_PRICES": json.dumps({"video.trim": 7})})
    served.create_user(EMAIL)
    try:
        served.start()
        granted = credits_cli(served, "grant", "--email", EMAIL, "--amount", "10", "--reason", "seed")
        assert granted.returncode == 0 and "available now 10" in granted.stdout, granted.stderr
        for bad in (("grant", "--email", EMAIL, "--amount", "0"), ("grant", "--email", EMAIL, "--amount", "x")):
            refused = credits_cli(served, *bad)
            assert refused.returncode == 2 and "--amount" in refused.stderr
        unknown = credits_cli(served, "show", "--email", "nobody@example.com")
        assert unknown.returncode == 2 and "USER_NOT_FOUND" in unknown.stderr

        api = await signed_in(served.url, EMAIL)
        session = await start_slow_run(api, long_clip)
        await wait_until_encoding(api, session["id"], data_dir.resolve())
        assert balance(served, api.token) == {"available": 3, "reserved": 7, "total": 10, "billing": "credits"}
        shown = credits_cli(served, "show", "--email", EMAIL)
        assert "available 3, reserved 7, total 10" in shown.stdout, shown.stderr
        await api.client.aclose()
        served.kill9()
        for pid in processes_mentioning(str(data_dir.resolve())):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        served.start()
        token = served.login(EMAIL)
        assert balance(served, token) == {"available": 10, "reserved": 0, "total": 10, "billing": "credits"}
        ledger = credits_cli(served, "ledger", "--email", EMAIL)
        assert ledger.returncode == 0, ledger.stderr
        kinds = [line.split()[2] for line in ledger.stdout.splitlines()[1:-1]]
        assert kinds == ["release", "hold", "grant"], ledger.stdout
        assert "run interrupted" in ledger.stdout
        verified = credits_cli(served, "verify")
        assert verified.returncode == 0 and "0 mismatch(es)" in verified.stdout, verified.stdout

        # A balance changed behind the ledger's back is reported, and the command fails.
        with servers.BACKEND.connect(data_dir) as db:
            db.execute(text("UPDATE credit_accounts SET available = available + 1"))
        tampered = credits_cli(served, "verify")
        assert tampered.returncode == 1 and "MISMATCH" in tampered.stdout and "1 mismatch(es)" in tampered.stdout
    finally:
        served.stop()


async def test_kill_9_with_the_gpu_runtime_billed_closes_it_with_the_time_used(tmp_path: Path) -> None:
    served = ServedStudio(tmp_path / "data", tmp_path / "server.log")
    served.env.update({"MINIAI_BILLING": "credits", "MINIAI_GPU_PRICE_PER_MINUTE": "2",
                       "MINIAI_GPU_PREPAID_MINUTES": "10"})
    served.create_user(EMAIL)
    try:
        served.start()
        assert credits_cli(served, "grant", "--email", EMAIL, "--amount", "50").returncode == 0
        token = served.login(EMAIL)
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.post(f"{served.url}/api/v2/gpu/start", headers=auth, timeout=120)
        assert r.status_code == 200, r.text
        assert balance(served, token) == {"available": 30, "reserved": 20, "total": 50, "billing": "credits"}

        async def ticked() -> bool:  # last_tick_at is written every 5 s
            active = httpx.get(f"{served.url}/api/v2/billing/gpu-active", headers=auth, timeout=10).json()
            return bool(active["elapsed_seconds"] >= 7)

        await wait_for(ticked, 30, "the GPU session to tick")
        served.kill9()
        served.start()
        token = served.login(EMAIL)
        assert balance(served, token) == {"available": 48, "reserved": 0, "total": 48, "billing": "credits"}
        usage = httpx.get(f"{served.url}/api/v2/billing/usage-history",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["items"][0]
        assert (usage["type"], usage["close_reason"], usage["credits"], usage["refunded"]) == \
            ("gpu", "interrupted", 2, 18)
        assert 5 <= usage["used_seconds"] <= 10
        assert credits_cli(served, "verify").returncode == 0
    finally:
        served.stop()
