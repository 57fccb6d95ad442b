"""Diffusion benchmark (issue 4): the studio's text-to-image node against diffusers called directly.

In one run, on a tiny random-weight Stable Diffusion pipeline built here (the same recipe as
``tests/models/tiny.py``; no weights are downloaded):

- cold: a fresh server process, GPU runtime stopped; the first run pays the runtime start
  (torch import, device probe) and the pipeline load; then a model-load-only cold figure
  (runtime already started, model not yet loaded);
- warm: the median of repeated runs through ``POST /api/v2/session/execute`` (``Prefer: wait``),
  each with a new seed so nothing comes from the output cache;
- direct: the same pipeline, loaded in this process, called with the same arguments;
- overhead = (studio warm - direct) / direct, for the tiny size and a larger one.

    .venv/bin/python bench/bench_diffusion.py
"""

from __future__ import annotations

import os
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
CASES = [("tiny", 64, 4), ("larger", 128, 12)]  # (name, pixels, steps)
REPEATS = 5
TARGET_OVERHEAD = 0.05
# torch's OpenMP workers keep spinning for a while after a call; with two processes on two cores
# the next measurement would compete with them, so each one starts after a pause.
SETTLE = 0.5


def graph(size: int, steps: int, seed: int) -> dict[str, Any]:
    return {"nodes": [
        {"id": "gpu", "type": "gpu.control", "params": {"auto_start": True}},
        {"id": "gen", "type": "image.generate", "params": {
            "model": "tiny-sd", "prompt": PROMPT, "steps": steps, "cfg": 5.0, "seed": seed,
            "width": size, "height": size}},
    ], "edges": [{"id": "g", "source": "gpu", "source_handle": "gpu", "target": "gen", "target_handle": "gpu"}]}


def studio_run(client: httpx.Client, session: dict[str, Any], size: int, steps: int, seed: int) -> tuple[float, float]:
    """(wall seconds through HTTP, the node's own seconds) for one run."""
    r = client.put(f"/api/v2/sessions/{session['id']}/flow",
                   json={"graph": graph(size, steps, seed), "version": session["version"]})
    r.raise_for_status()
    session["version"] = r.json()["version"]
    t0 = time.perf_counter()
    r = client.post("/api/v2/session/execute", json={"mode": "full"},
                    headers={"X-Session-ID": session["id"], "Prefer": "wait=600"})
    wall = time.perf_counter() - t0
    r.raise_for_status()
    run = r.json()
    state = run["nodes"]["gen"]
    if state["status"] != "succeeded":
        raise RuntimeError(f"generation failed: {state}")
    return wall, state["finished_at"] - state["started_at"]


class Direct:
    """The same pipeline called directly with diffusers in this process (same threads as the server)."""

    def __init__(self, model_dir: Path) -> None:
        import torch
        from diffusers import DiffusionPipeline

        self.torch = torch
        from_pretrained: Any = DiffusionPipeline.from_pretrained
        self.pipe = from_pretrained(str(model_dir), dtype=torch.float32, local_files_only=True)
        self.pipe.to("cpu")
        self.pipe.set_progress_bar_config(disable=True)

    def run(self, size: int, steps: int, seed: int) -> float:
        t0 = time.perf_counter()
        self.pipe(PROMPT, num_inference_steps=steps, guidance_scale=5.0, width=size, height=size,
                  generator=self.torch.Generator("cpu").manual_seed(seed), output_type="pil")
        return time.perf_counter() - t0


def main() -> None:
    from models.tiny import build_sd

    with tempfile.TemporaryDirectory(prefix="bench-diffusion-") as tmp:
        root = Path(tmp)
        model_dir = build_sd(root / "tiny-sd")
        server = Server(root / "data")
        server.env["HF_HUB_OFFLINE"] = "1"
        server.create_user()
        subprocess.run([*CLI, "models", "import", str(model_dir), "--data-dir", str(server.data_dir)], check=True,
                       env=server.env, capture_output=True)
        server.start()
        try:
            client = server.login()
            session = client.post("/api/v2/sessions", json={"name": "bench"}).json()
            size0, steps0 = CASES[0][1], CASES[0][2]
            cold_wall, cold_node = studio_run(client, session, size0, steps0, seed=1)
            client.post("/api/v2/gpu/stop", json={"mode": "graceful"}).raise_for_status()
            client.post("/api/v2/gpu/start").raise_for_status()  # runtime up, model unloaded
            load_wall, _ = studio_run(client, session, size0, steps0, seed=2)
            direct = Direct(model_dir)
            studio: dict[tuple[int, int], list[float]] = {}
            node_times: dict[tuple[int, int], list[float]] = {}
            plain: dict[tuple[int, int], list[float]] = {}
            seed = 10
            for _, size, steps in CASES:
                studio_run(client, session, size, steps, seed=seed)  # warm-up at this size
                direct.run(size, steps, seed)
                for _ in range(REPEATS):  # interleaved, so both see the same machine load
                    seed += 1
                    time.sleep(SETTLE)
                    wall, node_s = studio_run(client, session, size, steps, seed)
                    studio.setdefault((size, steps), []).append(wall)
                    node_times.setdefault((size, steps), []).append(node_s)
                    time.sleep(SETTLE)
                    plain.setdefault((size, steps), []).append(direct.run(size, steps, seed))
            runtime = client.get("/api/v2/models/runtime").json()
        finally:
            server.stop()

    loads = runtime["cache"]["total_loads"]
    print("Diffusion benchmark: tiny random-weight Stable Diffusion pipeline, CPU, "
          f"{os.cpu_count()} cores, {REPEATS} interleaved runs per figure (median)")
    print(f"  cold, fresh server (GPU runtime start + model load + {size0} px / {steps0} steps): "
          f"{cold_wall * 1000:8.1f} ms  (node {cold_node * 1000:.1f} ms)")
    print(f"  cold, runtime started (model load + run):                        {load_wall * 1000:8.1f} ms")
    for name, size, steps in CASES:
        s = statistics.median(studio[(size, steps)])
        n = statistics.median(node_times[(size, steps)])
        d = statistics.median(plain[(size, steps)])
        overhead = (s - d) / d
        verdict = "ok" if overhead < TARGET_OVERHEAD else "over target"
        print(f"  warm {name:<6} {size:>3} px / {steps:>2} steps: studio via HTTP {s * 1000:8.1f} ms "
              f"(node {n * 1000:7.1f} ms) | diffusers direct {d * 1000:8.1f} ms | overhead {overhead * 100:+6.1f} % "
              f"(absolute {1000 * (s - d):+.1f} ms; target < {TARGET_OVERHEAD * 100:.0f} %: {verdict})")
    print(f"  cold/warm ratio (tiny): {cold_wall / statistics.median(studio[(size0, steps0)]):.1f}x; "
          f"pipeline loads during the whole run: {loads} (1 cold + 1 after the GPU stop)")


if __name__ == "__main__":
    main()
