"""GPU Control: the runtime gate (status/start/stop/health), the GPU Control node, GPU_NOT_READY,
immediate and graceful stops of running work, and LRU eviction under a small memory budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Api, edge, node
from miniaistudio.config import Settings

from .conftest import current_run, failed, install, run_nodes, runtime_stats, succeeded, wait_for
from .test_generation import gen, gpu_link


async def test_status_start_stop_and_health(api: Api) -> None:
    status = (await api.get("/api/v2/gpu/status")).json()
    assert (status["state"], status["accepting_tasks"], status["running_tasks"]) == ("stopped", False, 0)
    assert status["device"] == "cpu"  # no NVIDIA driver here: said without importing torch

    r = await api.post("/api/v2/gpu/start")
    assert r.status_code == 200, r.text
    started = r.json()
    assert (started["state"], started["ready"], started["accepting_tasks"]) == ("ready", True, True)
    assert (started["device"], started["dtype"]) == ("cpu", "float32")
    assert started["device_name"] and started["torch_version"].startswith("2.")
    assert started["memory"]["total_bytes"] > 0

    health = (await api.get("/api/v2/gpu/scheduler/health")).json()
    assert (health["status"], health["state"], health["accepting_tasks"]) == ("ok", "ready", True)

    r = await api.post("/api/v2/gpu/stop", json={"mode": "graceful"})
    assert r.status_code == 200 and r.json()["state"] == "stopped"
    assert (await api.get("/api/v2/gpu/status")).json()["state"] == "stopped"
    r = await api.post("/api/v2/gpu/stop", json={"mode": "sideways"})
    assert r.status_code == 422
    # An immediate stop cancels everyone's running work: only admins may ask for it.
    r = await api.post("/api/v2/gpu/stop", json={"mode": "immediate"})
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", r.text


async def test_gpu_control_node_in_the_catalog(api: Api) -> None:
    catalog = {n["type"]: n for n in (await api.get("/api/v2/nodes")).json()["nodes"]}
    control = catalog["gpu.control"]
    assert control["category"] == "GPU" and "gpu-control" in control["tags"] and control["gpu"] is False
    assert control["outputs"] == [{"name": "gpu", "type": "gpu", "required": True, "label": "Gpu",
                                   "description": "connect to GPU nodes' gpu input"}]
    for node_type in ("image.generate", "image.edit", "image.inpaint", "image.upscale", "video.from_image",
                      "video.from_text", "image.depth", "image.dynamic_camera"):
        spec = catalog[node_type]
        assert spec["gpu"] is True and spec["category"] == "Generate", node_type
        gpu_inputs = [s for s in spec["inputs"] if s["type"] == "gpu"]
        assert [(s["name"], s["required"]) for s in gpu_inputs] == [("gpu", False)], node_type


async def test_gpu_not_ready_without_auto_start(admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd)
    nodes = [node("gpu", "gpu.control", auto_start=False), gen()]
    run, session = await run_nodes(admin, nodes, [gpu_link("gen")])
    error = failed(run, "gen")
    assert error["code"] == "GPU_NOT_READY" and "auto_start" in error["message"]
    assert run["nodes"]["gpu"]["status"] == "succeeded"
    assert (await admin.get("/api/v2/gpu/status")).json()["state"] == "stopped"

    assert (await admin.post("/api/v2/gpu/start")).json()["state"] == "ready"
    run = await admin.run(session["id"])
    succeeded(run, "gen")
    assert run["nodes"]["gpu"]["status"] == "succeeded"  # the control node is never served from cache


async def test_auto_start_and_immediate_stop_cancels(admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd)
    session = await admin.new_session()
    await admin.save_graph(session, {"nodes": [node("gpu", "gpu.control"), gen(steps=200)],
                                     "edges": [gpu_link("gen")]})
    r = await admin.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code in (200, 202), r.text

    async def running() -> bool:
        state = (await current_run(admin, session))["nodes"]["gen"]
        return bool(state["status"] == "running" and state["progress"] > 0.0)

    await wait_for(running, timeout=60)
    status = (await admin.get("/api/v2/gpu/status")).json()
    assert (status["state"], status["running_tasks"]) == ("ready", 1)  # auto-started by the control node

    r = await admin.post("/api/v2/gpu/stop", json={"mode": "immediate"})
    assert r.status_code == 200, r.text

    async def finished() -> dict[str, Any] | None:
        run = await current_run(admin, session)
        return run if run["status"] not in ("queued", "running") else None

    run = await wait_for(finished, timeout=15)
    state = run["nodes"]["gen"]
    assert state["status"] == "canceled" and "GPU runtime was stopped" in state["error"]["message"], state
    await wait_for(lambda: _state_is(admin, "stopped"), timeout=10)
    assert (await runtime_stats(admin))["cache"]["entries"] == []  # models unloaded on stop


async def _state_is(api: Api, state: str) -> bool:
    return bool((await api.get("/api/v2/gpu/status")).json()["state"] == state)


async def test_graceful_stop_lets_running_work_finish(admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd)
    session = await admin.new_session()
    await admin.save_graph(session, {"nodes": [gen(steps=12)], "edges": []})
    r = await admin.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code in (200, 202), r.text

    async def running() -> bool:
        state = (await current_run(admin, session))["nodes"]["gen"]
        return bool(state["status"] == "running" and state["progress"] > 0.0)

    await wait_for(running, timeout=60)
    stopping = (await admin.post("/api/v2/gpu/stop", json={"mode": "graceful"})).json()
    assert (stopping["state"], stopping["accepting_tasks"], stopping["running_tasks"]) == ("stopping", False, 1)

    other = await admin.new_session()
    refused, _ = await run_nodes(admin, [gen("late", seed=3)], session=other)
    assert failed(refused, "late")["code"] == "GPU_NOT_READY"  # new work is refused while stopping

    async def finished() -> dict[str, Any] | None:
        run = await current_run(admin, session)
        return run if run["status"] not in ("queued", "running") else None

    run = await wait_for(finished, timeout=60)
    succeeded(run, "gen")
    await wait_for(lambda: _state_is(admin, "stopped"), timeout=10)


class TestSmallBudget:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # each tiny pipeline holds ~5 MiB of weights: two do not fit in 8 MiB
        return settings.model_copy(update={"model_cache_bytes": 8 * 2**20})

    async def test_lru_eviction(self, admin: Api, tiny_sd: Path, tiny_pix2pix: Path, fixed_image: Path) -> None:
        await install(admin, tiny_sd)
        await install(admin, tiny_pix2pix)
        session = await admin.new_session()
        photo = (await admin.upload(session["id"], fixed_image))["id"]
        t2i = [gen()]
        edit = [node("photo", "upload.image", media_ids=[photo]),
                node("pix", "image.edit", model="tiny-pix2pix", instruction="snow", steps=2, seed=1)]
        edit_edges = [edge("photo", "image", "pix", "image")]

        succeeded((await run_nodes(admin, t2i, session=session))[0], "gen")
        stats = (await runtime_stats(admin))["cache"]
        [sd_key] = stats["loads"]
        assert 0 < stats["used_bytes"] <= 8 * 2**20

        succeeded((await run_nodes(admin, edit, edit_edges, session=session))[0], "pix")
        stats = (await runtime_stats(admin))["cache"]
        assert stats["evictions"] == [sd_key]
        assert [e["key"].split("@")[0] for e in stats["entries"]] == ["tiny-pix2pix"]

        succeeded((await run_nodes(admin, [gen(seed=5)], session=session))[0], "gen")
        stats = (await runtime_stats(admin))["cache"]
        assert stats["loads"][sd_key] == 2  # evicted, so loaded again
        assert len(stats["evictions"]) == 2 and stats["evictions"][1].startswith("tiny-pix2pix@")
