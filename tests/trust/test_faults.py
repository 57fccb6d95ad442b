"""Faults: the server is killed with SIGKILL mid-run (ffmpeg encoding), mid-upload (a slow streamed
body) and mid-flush (a run of many quick nodes), then restarted on the same data dir. After the
restart: no run is left running, every media row's file is there and downloads, every finished node's
output downloads, no child of the killed server survives, and scratch holds nothing no run owns."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sqlite3
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import edge, ffmpeg_media, node
from live_process import ServedStudio, processes_mentioning

from .figures import Figures

EMAIL = "faults@example.com"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 s of 640x480: re-encoding it with preset 'slow' outlasts the moment of the kill."""
    return ffmpeg_media(tmp_path_factory.mktemp("clip"), "clip.mp4", "-f", "lavfi",
                        "-i", "testsrc=size=640x480:rate=25:duration=40", "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedStudio]:
    studio = ServedStudio(tmp_path / "data", tmp_path / "server.log")
    studio.create_user(EMAIL)
    studio.start()
    try:
        yield studio
    finally:
        studio.stop()
        kill_orphans(studio)


def kill_orphans(served: ServedStudio) -> list[int]:
    """Kill what still runs on the data dir other than the live server; returns the pids found."""
    live = {p.pid for p in served.processes if p.poll() is None}
    found = [pid for pid in processes_mentioning(str(served.data_dir.resolve())) if pid not in live]
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return found


def client_for(served: ServedStudio) -> httpx.Client:
    return httpx.Client(base_url=served.url, timeout=60,
                        headers={"Authorization": f"Bearer {served.login(EMAIL)}"})


def new_session(client: httpx.Client, graph: dict[str, Any]) -> str:
    session = client.post("/api/v2/sessions", json={"name": "faults"}).json()
    saved = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": 1})
    assert saved.status_code == 200, saved.text
    return str(session["id"])


def wait_until(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def restart_and_check(served: ServedStudio, figures: Figures) -> list[str]:
    """Kill -9 the server, start it again, and list every way data was lost or left behind."""
    served.kill9()
    figures.add("faults")
    survivors = processes_mentioning(str(served.data_dir.resolve()))  # the killed server's children
    served.start()
    problems: list[str] = []
    # Children of the killed server must die with it (or be killed by the next start-up).
    deadline = time.monotonic() + 1  # a grace for the kill, not long enough for an encode to finish
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in survivors):
        time.sleep(0.1)
    orphans = [pid for pid in survivors if pid_alive(pid)]
    if orphans:
        problems.append(f"{len(orphans)} child process(es) of the killed server still running: "
                        f"{[cmdline(pid)[:120] for pid in orphans]}")
    kill_orphans(served)
    # Start-up cleans scratch: partial uploads, half-written outputs.
    scratch = served.data_dir / "scratch"
    leftovers = sorted(p.name for p in scratch.rglob("*") if p.is_file()) if scratch.exists() else []
    if leftovers:
        problems.append(f"scratch not cleaned at start-up: {leftovers[:10]}")
    with sqlite3.connect(f"file:{served.data_dir / 'studio.db'}?mode=ro", uri=True) as db:
        stuck = db.execute("SELECT id, status FROM runs WHERE status IN ('running', 'queued')").fetchall()
        media = db.execute("SELECT id, size_bytes FROM media").fetchall()
        runs = [row[0] for row in db.execute("SELECT id FROM runs").fetchall()]
    if stuck:
        problems.append(f"runs left running after the restart: {stuck}")
    with client_for(served) as client:
        for media_id, size in media:
            r = client.get(f"/api/v2/media/{media_id}/download")
            if r.status_code != 200 or len(r.content) != size:
                problems.append(f"media {media_id} lost: {r.status_code}, {len(r.content)} of {size} bytes")
        for output_id in finished_outputs(client, served, runs):
            r = client.get(f"/api/v2/media/{output_id}/download")
            if r.status_code != 200 or not r.content:
                problems.append(f"a finished node's output {output_id} does not download: {r.status_code}")
    figures.add("data_lost", len(problems))
    return problems


def finished_outputs(client: httpx.Client, served: ServedStudio, runs: list[str]) -> list[str]:
    """Media ids in the outputs of succeeded nodes of every run, read through the API."""
    with sqlite3.connect(f"file:{served.data_dir / 'studio.db'}?mode=ro", uri=True) as db:
        pairs = db.execute("SELECT id, session_id FROM runs").fetchall()
    ids: list[str] = []
    for run_id, session_id in pairs:
        r = client.get(f"/api/v2/session/runs/{run_id}", headers={"X-Session-ID": session_id})
        if r.status_code != 200:
            continue
        for state in r.json().get("nodes", {}).values():
            if state.get("status") in ("succeeded", "cached"):
                ids.extend(media_ids(state.get("outputs") or {}))
    return ids


def media_ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        if isinstance(value.get("url"), str) and value["url"].startswith("/api/v2/media/") and "id" in value:
            return [str(value["id"])]
        return [i for v in value.values() for i in media_ids(v)]
    if isinstance(value, list):
        return [i for v in value for i in media_ids(v)]
    return []


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


@pytest.mark.timeout(120)
def test_kill_mid_run_with_ffmpeg(served: ServedStudio, clip: Path, figures: Figures) -> None:
    with client_for(served) as client:
        with clip.open("rb") as fh:
            video = client.post("/api/v2/media/upload", files={"file": ("clip.mp4", fh)})
        assert video.status_code == 201, video.text
        session_id = new_session(client, {
            "nodes": [node("v", "upload.video", media_ids=[video.json()["id"]]),
                      node("trim", "video.trim", mode="reencode", preset="slow", crf=18)],
            "edges": [edge("v", "video", "trim", "video")]})
        r = client.post("/api/v2/session/execute", json={"mode": "full"}, headers={"X-Session-ID": session_id})
        assert r.status_code == 202, r.text
        scratch = str((served.data_dir / "scratch").resolve())
        wait_until(lambda: processes_mentioning(scratch), 20, "ffmpeg to start encoding")
        time.sleep(0.6)  # the run state is written every 250 ms
    problems = restart_and_check(served, figures)
    with client_for(served) as client:
        run = client.get("/api/v2/session/execution", headers={"X-Session-ID": session_id}).json()["run"]
    if run["status"] != "interrupted":
        problems.append(f"the killed run is {run['status']}, not interrupted")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.timeout(120)
def test_kill_mid_upload(served: ServedStudio, figures: Figures) -> None:
    with client_for(served) as client:
        kept = client.post("/api/v2/media/upload", files={"file": ("kept.wav", wav_bytes(1))})
        assert kept.status_code == 201, kept.text
        sent = threading.Event()

        def slow_body() -> Iterator[bytes]:
            yield wav_bytes(60)[: 1024 * 1024]
            sent.set()
            for _ in range(600):
                time.sleep(0.05)
                yield b"\0" * 65536

        def upload() -> None:
            with contextlib.suppress(httpx.HTTPError):
                client.post("/api/v2/media/upload", content=slow_body(),
                            headers={"X-Filename": "slow.wav", "Content-Type": "application/octet-stream"})

        thread = threading.Thread(target=upload, daemon=True)
        thread.start()
        scratch = served.data_dir / "scratch"
        wait_until(lambda: sent.is_set() and any(scratch.glob("*")), 20, "the partial upload in scratch")
        time.sleep(0.5)
        problems = restart_and_check(served, figures)
        thread.join(timeout=10)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.timeout(120)
def test_kill_mid_flush(served: ServedStudio, figures: Figures) -> None:
    chains = 60
    nodes = []
    edges = []
    for i in range(chains):
        nodes += [node(f"c{i}", "image.solid_color", width=64, height=64, color=f"#{i:02x}3355"),
                  node(f"a{i}", "image.adjust", invert=True)]
        edges.append(edge(f"c{i}", "image", f"a{i}", "image"))
    with client_for(served) as client:
        session_id = new_session(client, {"nodes": nodes, "edges": edges})
        r = client.post("/api/v2/session/execute", json={"mode": "full"}, headers={"X-Session-ID": session_id})
        assert r.status_code == 202, r.text

        def some_done() -> bool:
            run = client.get("/api/v2/session/execution", headers={"X-Session-ID": session_id}).json()["run"]
            done = sum(state["status"] == "succeeded" for state in run["nodes"].values())
            return done >= 10 or run["status"] not in ("queued", "running")

        wait_until(some_done, 30, "the first nodes to finish")
    problems = restart_and_check(served, figures)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def wav_bytes(seconds: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * 16_000 * seconds)
    return buffer.getvalue()
