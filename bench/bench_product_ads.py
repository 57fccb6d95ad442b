"""Product ad benchmark (issue 14): seconds to render one 8-second ad per style at the door's default
540p / 30 fps (960x540 or 540x960, 240 frames), through a real server (``miniaistudio serve``), one
video at a time, the product cut out by u2netp from the coffee-cup fixture.

    PYTHONPATH=src .venv/bin/python bench/bench_product_ads.py [style ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _server import Server

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "images"
MODELS = ROOT / ".cache" / "test-models"
STYLES = ("luxury_macro", "neo_noir_night", "warm_lifestyle_sunset", "futuristic_clean_studio", "cyberpunk_showcase",
          "film_35mm_editorial", "high_fashion_runway", "nature_premium", "custom")


def node(node_id: str, node_type: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "params": params}


def main() -> None:
    from miniaistudio.runtimes.models.vision_assets import place_u2netp

    place_u2netp(MODELS)
    styles = sys.argv[1:] or list(STYLES)
    server = Server(Path(tempfile.mkdtemp(prefix="bench-ads-")) / "data")
    server.env["MINIAI_MODELS_DIR"] = str(MODELS)
    server.create_user()
    server.start()
    try:
        client = server.login()
        with (FIXTURES / "coffee.png").open("rb") as fh:
            cup = client.post("/api/v2/media/upload", files={"file": ("coffee.png", fh)}).json()["id"]
        session = client.post("/api/v2/sessions", json={"name": "bench"}).json()
        print(f"{'style':26} {'aspect':6} {'seconds':>8}")
        for i, style in enumerate(styles):
            aspect = "9:16" if i % 2 == 0 else "16:9"
            graph = {"nodes": [node("m", "upload.image", media_ids=[cup]),
                               node("ad", "video.product_ad", style=style, aspect_ratio=aspect,
                                    user_prompt="gold bokeh, zoom in on the logo", seed=i)],
                     "edges": [{"id": "e", "source": "m", "source_handle": "image", "target": "ad",
                                "target_handle": "image"}]}
            r = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph,
                                                                           "version": session["version"]})
            session["version"] = r.json()["version"]
            t0 = time.perf_counter()
            run = client.post("/api/v2/session/execute", json={"mode": "full"},
                              headers={"X-Session-ID": session["id"], "Prefer": "wait=600"}).json()
            wall = time.perf_counter() - t0
            assert run["nodes"]["ad"]["status"] == "succeeded", run["nodes"]["ad"]
            print(f"{style:26} {aspect:6} {wall:8.1f}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
