"""Event-loop watchdog: a live server is pinged every 20 ms while hostile and heavy requests run
from other threads. One request must never hang, stall or starve the server, so ``/ping`` keeps
answering: p99 under 750 ms and no ping over 2 s. A hang detector, not a speed target."""

from __future__ import annotations

import contextlib
import json
import statistics
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import node
from live_process import ServedStudio

from .figures import Figures
from .test_hostile_inputs import PARENT_CYCLES, group_graph, nested

CAP = 2_000  # max_expanded_nodes of this server: "near" and "over" stay cheap on a 2-core machine
P99_BOUND_MS = 750
MAX_BOUND_MS = 2_000
PING_EVERY = 0.02
PING_TIMEOUT = 5.0
ATTACK_WINDOW = 25.0  # seconds the attacks may take before the verdict


class Pinger(threading.Thread):
    """Measures ``/ping`` round trips until told to stop; a timed-out ping counts as its timeout."""

    def __init__(self, url: str) -> None:
        super().__init__(name="pinger", daemon=True)
        self.url = url
        self.latencies_ms: list[float] = []
        self.failures = 0
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=PING_TIMEOUT) as client:
            while not self.done.is_set():
                start = time.perf_counter()
                try:
                    ok = client.get("/api/v2/ping").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies_ms.append((time.perf_counter() - start) * 1000)
                self.failures += not ok
                time.sleep(PING_EVERY)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wav_file(path: Path, seconds: int) -> Path:
    """A silent mono 16-bit WAV (48 kHz): a big but allowed upload."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(b"\0\0" * 48_000 * seconds)
    return path


class Attacker:
    """One signed-in HTTP client per attack thread; outcomes are collected, never raised."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.outcomes: dict[str, str] = {}
        self.lock = threading.Lock()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"},
                            timeout=ATTACK_WINDOW)

    def new_session(self, client: httpx.Client, name: str) -> dict[str, Any]:
        r = client.post("/api/v2/sessions", json={"name": name})
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def record(self, name: str, outcome: str) -> None:
        with self.lock:
            self.outcomes[name] = outcome

    def run(self, name: str, attack: Callable[[httpx.Client], str]) -> threading.Thread:
        def target() -> None:
            try:
                with self.client() as client:
                    self.record(name, attack(client))
            except Exception as exc:
                self.record(name, f"{type(exc).__name__}: {exc}"[:200])

        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread


def answer(r: httpx.Response) -> str:
    code = ""
    with contextlib.suppress(ValueError, AttributeError):
        code = r.json().get("code") or ""
    return f"{r.status_code} {code}".strip()


@pytest.mark.timeout(180)
def test_ping_stays_fast_while_hostile_requests_run(tmp_path: Path, figures: Figures) -> None:
    served = ServedStudio(tmp_path / "data", tmp_path / "server.log")
    served.env["MINIAI_MAX_EXPANDED_NODES"] = str(CAP)
    served.create_user("victim@example.com")
    served.create_user("attacker@example.com")
    upload = wav_file(tmp_path / "big.wav", 300)  # ~29 MB
    try:
        served.start()
        attacker = Attacker(served.url, served.login("attacker@example.com"))
        victim = served.login("victim@example.com")
        with attacker.client() as client:  # set-up outside the measured window
            recipe_session = attacker.new_session(client, "redos")
            saved = client.put(f"/api/v2/sessions/{recipe_session['id']}/flow", json={
                "graph": {"nodes": [node("t", "text", text="x")], "edges": []}, "version": 1})
            assert saved.status_code == 200, saved.text
            published = client.post(f"/api/v2/sessions/{recipe_session['id']}/publish-recipe", json={
                "id": "redos", "name": "ReDoS", "inputs": [
                    {"name": "words", "node_id": "t", "field": "text",
                     "schema": {"type": "string", "pattern": "^(a+)+$"}}]})
            redos_published = answer(published)

        def redos(client: httpx.Client) -> str:
            return answer(client.post("/api/v2/recipes/redos/run", json={"inputs": {"words": "a" * 30 + "!"}}))

        def loop(members: int, iterations: int) -> Callable[[httpx.Client], str]:
            def attack(client: httpx.Client) -> str:
                session = attacker.new_session(client, f"loop {members}x{iterations}")
                saved = client.put(f"/api/v2/sessions/{session['id']}/flow",
                                   json={"graph": group_graph(members, iterations), "version": 1})
                if saved.status_code != 200:
                    return f"save {answer(saved)}"
                run = client.post("/api/v2/session/execute", json={"mode": "full"},
                                  headers={"X-Session-ID": session["id"]})
                time.sleep(2)
                stop = client.post("/api/v2/session/stop", headers={"X-Session-ID": session["id"]})
                return f"execute {answer(run)}, stop {answer(stop)}"
            return attack

        def huge_graph(client: httpx.Client) -> str:
            session = attacker.new_session(client, "50k nodes")
            nodes = [node(f"n{i}", "text", text="x") for i in range(50_000)]
            return answer(client.put(f"/api/v2/sessions/{session['id']}/flow",
                                     json={"graph": {"nodes": nodes, "edges": []}, "version": 1}))

        def deep_json(client: httpx.Client) -> str:
            session = attacker.new_session(client, "deep")
            body = json.dumps({"graph": {"nodes": [{**node("t", "text"), "ui": "UI"}], "edges": []}, "version": 1})
            outcomes = []
            for depth in (900, 5_000, 50_000):
                text = body.replace('"UI"', nested(depth, "object"))
                outcomes.append(answer(client.put(f"/api/v2/sessions/{session['id']}/flow", content=text,
                                                  headers={"Content-Type": "application/json"})))
            return ", ".join(outcomes)

        def big_body(client: httpx.Client) -> str:
            big = json.dumps({"name": "x" * (32 * 1024 * 1024)})
            return answer(client.post("/api/v2/sessions", content=big, headers={"Content-Type": "application/json"}))

        def anonymous_big_body(client: httpx.Client) -> str:
            big = b'{"email": "' + b"x" * (32 * 1024 * 1024) + b'", "password": "x"}'
            return answer(httpx.post(f"{served.url}/api/v2/sessions", content=big, timeout=ATTACK_WINDOW,
                                     headers={"Content-Type": "application/json"}))

        def big_upload(client: httpx.Client) -> str:
            with upload.open("rb") as fh:
                return answer(client.post("/api/v2/media/upload", files={"file": ("big.wav", fh)}))

        def parent_cycles(client: httpx.Client) -> str:
            outcomes = []
            for name, (graph, _) in PARENT_CYCLES.items():
                session = attacker.new_session(client, name)
                saved = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": 1})
                outcomes.append(f"save {answer(saved)}")
                if saved.status_code == 200:  # accepted: running it must not spin the server
                    outcomes.append("execute " + answer(client.post(
                        "/api/v2/session/execute", json={"mode": "full"}, headers={"X-Session-ID": session["id"]})))
            return ", ".join(outcomes)

        attacks: dict[str, Callable[[httpx.Client], str]] = {
            "ReDoS ^(a+)+$ on 'a'*30+'!'": redos,
            f"loop near the cap ({CAP - 100} nodes)": loop(95, (CAP - 100) // 95),
            f"loop over the cap ({CAP + 100} nodes)": loop(105, 20),
            "50,000-node graph": huge_graph,
            "JSON nested 900 / 5,000 / 50,000 deep": deep_json,
            "32 MiB JSON body": big_body,
            "anonymous 32 MiB JSON body": anonymous_big_body,
            "29 MB upload": big_upload,
            "parent-cycle graphs": parent_cycles,
        }
        pinger = Pinger(served.url)
        pinger.start()
        time.sleep(0.5)  # a baseline before the attacks
        threads = [attacker.run(name, attack) for name, attack in attacks.items()]
        deadline = time.monotonic() + ATTACK_WINDOW
        for thread in threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        time.sleep(0.5)
        pinger.done.set()
        pinger.join(timeout=PING_TIMEOUT + 1)
        still_running = [t.name for t in threads if t.is_alive()]
        alive = victim_ok = False
        with contextlib.suppress(httpx.HTTPError), httpx.Client(base_url=served.url, timeout=PING_TIMEOUT) as client:
            alive = client.get("/api/v2/ping").status_code == 200
            # The victim can still work once the attacks are over.
            victim_ok = client.get("/api/v2/sessions", headers={"Authorization": f"Bearer {victim}"}).status_code == 200
    finally:
        served.stop()
    p99, worst = pinger.percentile(0.99), max(pinger.latencies_ms)
    figures.add("ping_samples", len(pinger.latencies_ms))
    figures.worst("ping_p99_ms", p99)
    figures.worst("ping_max_ms", worst)
    figures.add("hostile_inputs", len(attacks))
    report = (f"pings {len(pinger.latencies_ms)}, failed {pinger.failures}, median "
              f"{statistics.median(pinger.latencies_ms):.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms\n"
              f"ReDoS recipe published: {redos_published}\n" +
              "\n".join(f"  {name}: {attacker.outcomes.get(name, 'still running')}" for name in attacks))
    print(report)
    figures.note(f"watchdog: p99 {p99:.0f} ms, max {worst:.0f} ms over {len(pinger.latencies_ms)} pings")
    verdicts = [("the server no longer answers", not (alive and victim_ok)),
                (f"attacks still running after {ATTACK_WINDOW:.0f} s: {still_running}", bool(still_running)),
                (f"{pinger.failures} pings failed or timed out", pinger.failures > 0),
                (f"ping p99 {p99:.0f} ms >= {P99_BOUND_MS} ms or max {worst:.0f} ms >= {MAX_BOUND_MS} ms",
                 p99 >= P99_BOUND_MS or worst >= MAX_BOUND_MS)]
    broken = [text for text, failed in verdicts if failed]
    if broken:
        pytest.fail("\n".join([*broken, report]), pytrace=False)
