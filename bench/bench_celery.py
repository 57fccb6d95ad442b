"""Celery executor benchmark (issue 15): its cost per node, and how runs scale with workers.

    PYTHONPATH=src .venv/bin/python bench/bench_celery.py [--nodes 10] [--repeats 7] [--runs 8]

Side by side in one run, against real server processes and real ``miniaistudio worker`` processes on a
throwaway ``redis-server``:

- per-node overhead: the same cold chain (Solid Color → Adjust x (N-2) → Resize, 64 px) on a server with
  the local executor and on one with ``MINIAI_EXECUTOR=celery`` (one worker); (celery - local) / N;
- throughput: ``--runs`` runs of a 3-node chain at 768 px started at once, finished runs per second with
  one worker and with two (one pool process each); the ratio is the scaling.

Timings drift on shared VMs; the figures are medians of ``--repeats`` within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _server import CLI, PASSWORD, Server, free_port


def chain(n: int, size: int, seed: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "n0", "type": "image.solid_color", "position": {"x": 0, "y": 0},
                                    "params": {"width": size, "height": size, "color": f"#{seed % 0xFFFFFF:06x}"}}]
    edges: list[dict[str, Any]] = []
    for i in range(1, n):
        kind, params = (("image.resize", {"width": size // 2, "height": size // 2, "mode": "stretch"})
                        if i == n - 1 else ("image.adjust", {"invert": True}))
        nodes.append({"id": f"n{i}", "type": kind, "position": {"x": i * 10, "y": 0}, "params": params})
        edges.append({"id": f"e{i}", "source": f"n{i - 1}", "source_handle": "image", "target": f"n{i}",
                      "target_handle": "image"})
    return {"nodes": nodes, "edges": edges}


class Redis:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(root)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Worker:
    def __init__(self, env: dict[str, str], data_dir: Path, name: str) -> None:
        self.name = f"{name}@bench"
        self.proc = subprocess.Popen([CLI, "worker", "--queues", "gpu,cpu", "--concurrency", "1", "--name",
                                      self.name, "--data-dir", str(data_dir)],
                                     env={**env, "MINIAI_LOG_LEVEL": "warning"}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, redis_url: str) -> None:
        from miniaistudio.config import Settings
        from miniaistudio.executors.celery_app import make_celery

        app = make_celery(Settings(redis_url=redis_url))
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                if app.control.ping(destination=[self.name], timeout=0.5):
                    return
        finally:
            app.close()
        raise RuntimeError(f"worker {self.name} did not start")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


async def run_once(client: httpx.AsyncClient, graph: dict[str, Any]) -> float:
    """Wall time (ms) of a fresh session's save + execute, waiting for the end."""
    t0 = time.perf_counter()
    session = (await client.post("/api/v2/sessions", json={"name": "bench"})).json()
    r = await client.put(f"/api/v2/sessions/{session['id']}/flow",
                         json={"graph": graph, "version": session["version"]})
    r.raise_for_status()
    r = await client.post("/api/v2/session/execute", json={"mode": "full"},
                          headers={"X-Session-ID": session["id"], "Prefer": "wait=300"})
    r.raise_for_status()
    assert r.json()["status"] == "succeeded", r.json()
    return (time.perf_counter() - t0) * 1000


async def signed_in(server: Server) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.base, timeout=600)
    token = (await client.post("/api/v2/auth/login", json={"email": server.email, "password": PASSWORD})).json()
    client.headers["Authorization"] = f"Bearer {token['token']}"
    client.cookies.clear()
    return client


async def chain_ms(server: Server, nodes: int, repeats: int) -> list[float]:
    client = await signed_in(server)
    try:
        await run_once(client, chain(nodes, 64, 1))  # warm-up: imports, pool processes, connections
        return [await run_once(client, chain(nodes, 64, 100 + i)) for i in range(repeats)]
    finally:
        await client.aclose()


async def runs_per_second(server: Server, runs: int, seed: int) -> float:
    client = await signed_in(server)
    try:
        await run_once(client, chain(3, 768, seed))
        t0 = time.perf_counter()
        await asyncio.gather(*(run_once(client, chain(3, 768, seed + 1 + i)) for i in range(runs)))
        return runs / (time.perf_counter() - t0)
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        redis = Redis(root)
        local = Server(root / "local")
        celery = Server(root / "celery")
        celery.env.update({"MINIAI_EXECUTOR": "celery", "MINIAI_REDIS_URL": redis.url})
        workers: list[Worker] = []
        try:
            for server in (local, celery):
                server.create_user()
                server.start()
            workers.append(Worker(celery.env, celery.data_dir, "w1"))
            workers[0].wait_ready(redis.url)
            local_ms = asyncio.run(chain_ms(local, args.nodes, args.repeats))
            celery_ms = asyncio.run(chain_ms(celery, args.nodes, args.repeats))
            local_rate = asyncio.run(runs_per_second(local, args.runs, 1000))
            one_worker = asyncio.run(runs_per_second(celery, args.runs, 2000))
            workers.append(Worker(celery.env, celery.data_dir, "w2"))
            workers[1].wait_ready(redis.url)
            two_workers = asyncio.run(runs_per_second(celery, args.runs, 3000))
        finally:
            for worker in workers:
                worker.stop()
            local.stop()
            celery.stop()
            redis.stop()
    local_med, celery_med = statistics.median(local_ms), statistics.median(celery_ms)
    print(f"\nCold chain of {args.nodes} nodes at 64 px, median of {args.repeats} (client wall time):")
    print(f"  local executor   {local_med:8.1f} ms")
    print(f"  celery, 1 worker {celery_med:8.1f} ms   ratio {celery_med / local_med:5.2f}x")
    print(f"  per-node overhead of celery: {(celery_med - local_med) / args.nodes:.1f} ms")
    print(f"\n{args.runs} concurrent runs of a 3-node chain at 768 px (runs per second):")
    print(f"  local executor (2 threads)   {local_rate:6.2f}")
    print(f"  celery, 1 worker             {one_worker:6.2f}")
    print(f"  celery, 2 workers            {two_workers:6.2f}   scaling {two_workers / one_worker:4.2f}x vs 1 worker")
    print(f"  (on {os.cpu_count()} cores shared by the API process, Redis and the workers)")


if __name__ == "__main__":
    main()
