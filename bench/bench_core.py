"""Core benchmark (issue 2): graph engine, start-up, memory, media listing, large uploads.

Everything is measured through the HTTP API of a real server process in one run:

    .venv/bin/python bench/bench_core.py

Figures are printed side by side with the targets and the reference engine's figures.
"""

from __future__ import annotations

import statistics
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from _server import Server, rss_kib

REFERENCE = {  # the most used open-source node engine, same machines (ANCHORS.md / issue 2)
    (100, "cold"): 430.0, (300, "unchanged"): 2200.0, (300, "tail change"): 2300.0,
}
TARGETS = {(100, "cold"): 60.0, (300, "unchanged"): 20.0, (300, "tail change"): 30.0}


def chain_graph(n: int, last_width: int = 32) -> dict[str, Any]:
    nodes = [{"id": "n0", "type": "image.solid_color", "params": {"width": 64, "height": 64, "color": "#336699"}}]
    for i in range(1, n - 1):
        nodes.append({"id": f"n{i}", "type": "image.adjust", "params": {"invert": True}})
    if n > 1:
        nodes.append({"id": f"n{n - 1}", "type": "image.resize",
                      "params": {"width": last_width, "height": last_width, "mode": "stretch"}})
    edges = [{"id": f"e{i}", "source": f"n{i - 1}", "source_handle": "image", "target": f"n{i}",
              "target_handle": "image"} for i in range(1, n)]
    return {"nodes": nodes, "edges": edges}


def submit(client: httpx.Client, session: dict[str, Any], graph: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    """PUT the graph and run it, waiting for the end. Returns (save ms, run ms, run)."""
    t0 = time.perf_counter()
    r = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": session["version"]})
    r.raise_for_status()
    session["version"] = r.json()["version"]
    t1 = time.perf_counter()
    r = client.post("/api/v2/session/execute", json={"mode": "full"},
                    headers={"X-Session-ID": session["id"], "Prefer": "wait=300"})
    r.raise_for_status()
    t2 = time.perf_counter()
    run = r.json()
    assert run["status"] == "succeeded", run
    return (t1 - t0) * 1000, (t2 - t1) * 1000, run


def bench_chains(client: httpx.Client, repeats: int = 5) -> list[tuple[int, str, float, float, dict[str, int]]]:
    """Each case ``repeats`` times on fresh sessions; medians, since one VM run is noisy."""
    rows = []
    for n in (1, 10, 100, 300):
        samples: dict[str, list[tuple[float, float, dict[str, int]]]] = {}
        for rep in range(repeats):
            session = client.post("/api/v2/sessions", json={"name": f"chain {n} #{rep}"}).json()
            graph = chain_graph(n)
            for case, g in (("cold", graph), ("unchanged", graph), ("tail change", chain_graph(n, last_width=48))):
                save_ms, run_ms, run = submit(client, session, g)
                samples.setdefault(case, []).append((save_ms, run_ms, run["counts"]))
        for case, values in samples.items():
            rows.append((n, case, statistics.median(v[0] for v in values), statistics.median(v[1] for v in values),
                         values[-1][2]))
    return rows


def wav_stream(total_bytes: int) -> Iterator[bytes]:
    """A valid PCM WAV of about ``total_bytes``, generated on the fly (no disk, no memory)."""
    data_len = total_bytes - 44
    header = b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 2, 48000, 48000 * 4, 4, 16) + b"data" + struct.pack("<I", data_len)
    yield header
    chunk = bytes(1 << 20)
    sent = 0
    while sent < data_len:
        piece = chunk[: min(len(chunk), data_len - sent)]
        sent += len(piece)
        yield piece


def bench_upload(server: Server, client: httpx.Client, size: int) -> tuple[float, int, int]:
    assert server.proc is not None
    pid = server.proc.pid
    before = rss_kib(pid)
    peak = [before]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    r = client.post("/api/v2/media/upload", content=wav_stream(size),
                    headers={"X-Filename": "big.wav", "Content-Type": "application/octet-stream"})
    elapsed = time.perf_counter() - t0
    stop.set()
    watcher.join()
    r.raise_for_status()
    return elapsed, before, peak[0]


def seed_media(data_dir: Path, email: str, count: int) -> None:
    """Insert gallery rows directly (the listing, not the insert, is what is measured)."""
    from sqlalchemy import select

    from miniaistudio.store.db import Database
    from miniaistudio.store.tables import Media, StudioSession, User

    db = Database(f"sqlite:///{(data_dir / 'studio.db').resolve()}")
    with db.session() as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
        sessions = []
        now = datetime.now(UTC)
        for i in range(20):
            sid = str(uuid.uuid4())
            s.add(StudioSession(id=sid, owner_id=user_id, name=f"gallery {i}", graph={"nodes": [], "edges": []},
                                version=1, viewport={}, tabs=[], created_at=now, updated_at=now))
            sessions.append(sid)
        s.flush()
        for i in range(count):
            mid = str(uuid.uuid4())
            s.add(Media(id=mid, owner_id=user_id, session_id=sessions[i % 20], node_id="n", run_id=None,
                        origin="generated", kind=("image", "video", "audio")[i % 3], mime="image/png",
                        filename=f"{i}.png", storage_key=f"2026/01/{mid}.png", size_bytes=1000, width=64,
                        height=64, duration=None, codecs={}, meta={"engine": "bench"},
                        created_at=now - timedelta(seconds=i)))
    db.dispose()


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100)
    return f"p50 {qs[49]:.1f} ms  p95 {qs[94]:.1f} ms  p99 {qs[98]:.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data")
        server.create_user()
        startups = []
        for _ in range(3):
            server.start()
            startups.append(server.startup_seconds)
            server.stop()
        server.start()
        assert server.proc is not None
        time.sleep(1.0)
        idle_kib = rss_kib(server.proc.pid)
        client = server.login()
        try:
            client.get("/api/v2/nodes").raise_for_status()
            rows = bench_chains(client)
            seed_media(server.data_dir, server.email, 10_000)
            samples = []
            for i in range(200):
                t0 = time.perf_counter()
                client.get("/api/v2/media", params={"page": 1 + i % 5, "page_size": 50}).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
            filtered = []
            for _ in range(100):
                t0 = time.perf_counter()
                client.get("/api/v2/media", params={"media_type": "video", "page_size": 50}).raise_for_status()
                filtered.append((time.perf_counter() - t0) * 1000)
            up_s, up_before, up_peak = bench_upload(server, client, 1 << 30)
        finally:
            client.close()
            server.stop()

    print("\n== Graph engine: chain Solid Color 64x64 -> Adjust invert x (N-2) -> Resize, via HTTP (median of 5) ==")
    print(f"{'N':>4} {'case':<12} {'save ms':>8} {'run ms':>8}  {'target':>8} {'reference':>9} {'ratio':>7}  nodes")
    for n, case, save_ms, run_ms, counts in rows:
        target = TARGETS.get((n, case))
        ref = REFERENCE.get((n, case))
        ratio = f"{ref / run_ms:6.1f}x" if ref else ""
        print(f"{n:>4} {case:<12} {save_ms:8.1f} {run_ms:8.1f}  {(f'{target:.0f}') if target else '':>8} "
              f"{(f'{ref:.0f}') if ref else '':>9} {ratio:>7}  {counts}")
    print("\n== Server ==")
    print(f"start-up to first ping: {', '.join(f'{s:.2f}' for s in startups)} s (target < 1.5 s; reference ~4 s)")
    print(f"idle resident memory: {idle_kib / 1024:.0f} MiB (target < 150 MiB; reference ~500 MiB)")
    print("\n== Media listing with 10,000 items (GET /api/v2/media, page_size 50) ==")
    print(f"all types:   {percentiles(samples)}")
    print(f"video only:  {percentiles(filtered)}")
    print("\n== Upload 1 GiB (streamed WAV) ==")
    print(f"time {up_s:.1f} s ({(1 << 30) / up_s / 2**20:.0f} MiB/s); server RSS {up_before / 1024:.0f} -> peak "
          f"{up_peak / 1024:.0f} MiB, growth {(up_peak - up_before) / 1024:.1f} MiB (target < 50 MiB)")


if __name__ == "__main__":
    main()
