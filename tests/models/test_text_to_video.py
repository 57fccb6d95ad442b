"""Text to video on a tiny random-weight TextToVideoSDPipeline: the clip's length, frame rate and size
as asked, full provenance in the container and the media record; no model installed fails, never fakes."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, edge, node
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

from .conftest import current_run, download, failed, install, run_nodes, succeeded, wait_for
from .test_vision_and_video import AI, ffprobe


async def test_text_to_video_node(admin: Api, tiny_t2v: Path, tmp_path: Path) -> None:
    model = await install(admin, tiny_t2v)
    assert (model["id"], model["kind"]) == ("tiny-t2v", "text_to_video")
    nodes = [node("words", "text", text="a red kite over the sea"),
             node("clip", "video.from_text", prompt="ignored: the linked text wins", negative_prompt="blurry",
                  duration=0.5, fps=8, aspect_ratio="16:9", steps=2, seed=7),
             node("square", "video.from_text", model="tiny-t2v", prompt="a lighthouse", frames=3, fps=6,
                  width=64, height=64, steps=2, seed=8, cfg=5.0)]
    run, _ = await run_nodes(admin, nodes, [edge("words", "text", "clip", "prompt_text")])

    clip = succeeded(run, "clip", "video")
    info = ffprobe(await download(admin, clip["media_id"], tmp_path / "clip.mp4"))
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["nb_read_frames"], Fraction(stream["r_frame_rate"])) == ("h264", "4", 8)
    assert (stream["width"], stream["height"]) == (88, 48)  # 16:9 at the tiny model's 64 px native area
    assert abs(float(info["format"]["duration"]) - 0.5) < 0.05
    comment = json.loads(info["format"]["tags"]["comment"])
    assert (comment["engine"], comment["pipeline"], comment["model"], comment["model_kind"]) == (
        "diffusers", "TextToVideoSDPipeline", "tiny-t2v", "text_to_video")
    assert comment["ai_generated"] is True and comment["digital_source_type"].endswith(AI)
    assert (comment["prompt"], comment["negative_prompt"], comment["seed"], comment["steps"]) == (
        "a red kite over the sea", "blurry", 7, 2)
    assert (comment["frames"], comment["fps"], comment["duration"]) == (4, 8, 0.5)
    assert {"num_frames", "width", "height", "guidance_scale", "negative_prompt"} <= set(comment["pipeline_args"])
    assert comment["params"]["duration"] == 0.5 and comment["params"]["aspect_ratio"] == "16:9"
    record = (await admin.get(f"/api/v2/media/{clip['media_id']}")).json()
    assert record["media_type"] == "video" and record["metadata"]["pipeline"] == "TextToVideoSDPipeline"

    square = succeeded(run, "square", "video")
    info = ffprobe(await download(admin, square["media_id"], tmp_path / "square.mp4"))
    stream = info["streams"][0]
    assert (stream["nb_read_frames"], Fraction(stream["r_frame_rate"])) == ("3", 6)
    assert (stream["width"], stream["height"]) == (64, 64)
    comment = json.loads(info["format"]["tags"]["comment"])
    assert (comment["cfg"], comment["seed"], comment["frames"]) == (5.0, 8, 3)


async def test_without_a_text_to_video_model_the_node_fails_and_makes_nothing(admin: Api) -> None:
    run, _ = await run_nodes(admin, [node("clip", "video.from_text", prompt="a kite", steps=2)])
    error = failed(run, "clip")
    assert error["code"] == "MODEL_NOT_INSTALLED", error
    assert "text_to_video" in error["message"] and "models pull" in error["message"]
    assert run["nodes"]["clip"].get("outputs") in (None, {})


async def test_steps_report_progress_and_an_immediate_gpu_stop_cancels_between_them(admin: Api,
                                                                                     tiny_t2v: Path) -> None:
    await install(admin, tiny_t2v)
    session = await admin.new_session()
    await admin.save_graph(session, {"nodes": [node("clip", "video.from_text", prompt="a kite", frames=2,
                                                    steps=200, seed=1)], "edges": []})
    r = await admin.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code in (200, 202), r.text

    async def stepping() -> bool:  # the pipeline's per-step callback reports progress
        state = (await current_run(admin, session))["nodes"]["clip"]
        return bool(state["status"] == "running" and state["progress"] > 0.0)

    await wait_for(stepping, timeout=60)
    r = await admin.post("/api/v2/gpu/stop", json={"mode": "immediate"})
    assert r.status_code == 200, r.text

    async def finished() -> dict[str, Any] | None:
        run = await current_run(admin, session)
        return run if run["status"] not in ("queued", "running") else None

    run = await wait_for(finished, timeout=15)
    state = run["nodes"]["clip"]
    assert state["status"] == "canceled" and "GPU runtime was stopped" in state["error"]["message"], state


class TestBilled:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"billing": "credits", "gpu_price_per_minute": 0})

    async def test_a_node_naming_no_model_pays_the_text_to_video_model_it_runs(
            self, studio: Studio, admin: Api, make_user: Any, tiny_t2v: Path) -> None:
        model = await install(admin, tiny_t2v, credits_per_generation=7)
        api: Api = await make_user()
        studio.credits.grant(str((await api.get("/api/v2/auth/me")).json()["id"]), 20)
        run, _ = await run_nodes(api, [node("clip", "video.from_text", prompt="a kite", frames=2, steps=2, seed=3)])
        succeeded(run, "clip", "video")
        charges = [i for i in (await api.get("/api/v2/billing/usage-history")).json()["items"] if i["type"] == "run"]
        assert [(c["credits"], c["model_id"]) for c in charges] == [(7, model["id"])]
        assert (await api.get("/api/v2/billing/balance")).json()["available"] == 13
