"""Jobs benchmark (issue 12): the API overhead of a job against running the same graph through /api/v2.

In one run, against one real server (``miniaistudio serve``) with a tiny random-weight Stable Diffusion
pipeline built here (the recipe of ``tests/models/tiny.py``; nothing is downloaded), alternating:

- v2: the graph the job runs (one ``image.generate`` node, same model, prompt, steps, aspect ratio,
  random seed) saved to a session and run with ``POST /api/v2/session/execute`` + ``Prefer: wait``;
- job: ``POST /api/v1/generate/image`` (``output_format: png``: no conversion), then
  ``GET /api/v1/generations/{id}`` every 5 ms until ``completed`` (accept -> completed).

Each path's time around the node (wall - the node's own recorded seconds) is compared: the job's extra is
the hidden session, the job rows, the follower and the polling (the node time itself varies with load).

    PYTHONPATH=src .venv/bin/python bench/bench_jobs.py
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _server import CLI, Server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROMPT = "a lighthouse at dusk, oil painting"
MODEL = "prunaai/z-image-turbo"
STEPS = 4
REPEATS = 7
POLL = 0.005


def v2_run(client: httpx.Client, session: dict[str, Any], model_id: str) -> tuple[float, float]:
    """(wall seconds through HTTP, the node's own seconds)."""
    graph = {"nodes": [{"id": "image", "type": "image.generate", "position": {"x": 0, "y": 0},
                        "params": {"model": model_id, "prompt": PROMPT, "aspect_ratio": "1:1", "steps": STEPS}}],
             "edges": []}
    r = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": session["version"]})
    r.raise_for_status()
    session["version"] = r.json()["version"]
    t0 = time.perf_counter()
    r = client.post("/api/v2/session/execute", json={"mode": "full"},
                    headers={"X-Session-ID": session["id"], "Prefer": "wait=600"})
    wall = time.perf_counter() - t0
    r.raise_for_status()
    if r.json()["status"] != "succeeded":
        raise RuntimeError(f"run failed: {r.json()}")
    state = r.json()["nodes"]["image"]
    return wall, state["finished_at"] - state["started_at"]


def job_run(client: httpx.Client, key: str) -> float:
    headers = {"Authorization": f"Bearer {key}"}
    t0 = time.perf_counter()
    r = client.post("/api/v1/generate/image", headers=headers, json={"prompt": PROMPT, "output_format": "png"})
    r.raise_for_status()
    generation_id = r.json()["id"]
    while True:
        body = client.get(f"/api/v1/generations/{generation_id}", headers=headers).json()
        if body["status"] == "completed":
            return time.perf_counter() - t0
        if body["status"] == "failed":
            raise RuntimeError(f"job failed: {body}")
        time.sleep(POLL)


def main() -> None:
    from models.tiny import build_sd

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        model_dir = build_sd(base / "tiny-sd")
        server = Server(base / "data")
        server.env.update({"MINIAI_MODELS_DIR": str(base / "models"), "HF_HUB_OFFLINE": "1",
                           "MINIAI_API_KEY_RATE_LIMIT_PER_MINUTE": "1000000"})
        server.create_user()
        subprocess.run([*CLI, "models", "import", str(model_dir), "--name", MODEL, "--data-dir", str(server.data_dir)],
                       check=True, env=server.env, capture_output=True)
        with sqlite3.connect(server.data_dir / "studio.db") as db:  # the job's steps = the v2 graph's
            db.execute("UPDATE models SET default_params = ?", (json.dumps({"steps": STEPS}),))
            model_id = db.execute("SELECT id FROM models").fetchone()[0]
        server.start()
        try:
            client = server.login()
            key = client.post("/api/v1/keys", json={"name": "bench", "scopes": ["read", "generate:image"]}).json()
            session = client.post("/api/v2/sessions", json={"name": "bench"}).json()
            v2_run(client, session, model_id)  # warm: runtime started, pipeline loaded
            job_run(client, key["key"])
            v2: list[float] = []
            v2_node: list[float] = []
            jobs: list[float] = []
            for _ in range(REPEATS):
                wall, node = v2_run(client, session, model_id)
                v2.append(wall)
                v2_node.append(node)
                jobs.append(job_run(client, key["key"]))
        finally:
            server.stop()
        with sqlite3.connect(server.data_dir / "studio.db") as db:  # the jobs' own node seconds
            rows = db.execute("SELECT n.state FROM run_nodes n JOIN jobs j ON j.run_id = n.run_id "
                              "ORDER BY j.created_at").fetchall()
        states = [json.loads(state) for (state,) in rows[1:]]
        job_node = [s["finished_at"] - s["started_at"] for s in states if s.get("started_at") and s.get("finished_at")]
    # The node's own time varies with the machine's load; what each path adds around it is the figure.
    v2_around = statistics.median(w - n for w, n in zip(v2, v2_node, strict=True))
    job_around = statistics.median(w - n for w, n in zip(jobs, job_node, strict=True))
    print(f"tiny SD, {STEPS} steps, 1:1, median of {REPEATS} alternating runs (warm)")
    print(f"  wall: /api/v2 execute (Prefer: wait) {statistics.median(v2) * 1000:8.1f} ms, "
          f"/api/v1 job accept -> completed (polling every {POLL * 1000:.0f} ms) "
          f"{statistics.median(jobs) * 1000:8.1f} ms")
    print(f"  around the node: /api/v2 {v2_around * 1000:6.1f} ms, job {job_around * 1000:6.1f} ms, "
          f"job overhead {(job_around - v2_around) * 1000:+6.1f} ms")

if __name__ == "__main__":
    main()
