"""The Python SDK's AsyncClient against the real app over ASGI (real SQLite, media and runs): the
method set, typed answers, errors with their stable code, retries, uploads and downloads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import TEST_HOST, make_settings
from miniaistudio.config import Settings
from miniaistudio.core.errors import StudioError
from miniaistudio.sdk import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AsyncClient,
    LoraRef,
    Run,
    parse_execution_outputs,
)

from .conftest import StudioNetwork

GRAPH = {"nodes": [
    {"id": "bg", "type": "image.solid_color", "position": {"x": 0, "y": 0},
     "params": {"width": 64, "height": 48, "color": "#224488"}},
    {"id": "inv", "type": "image.adjust", "position": {"x": 300, "y": 0}, "params": {"invert": True}}],
    "edges": [{"id": "e1", "source": "bg", "source_handle": "image", "target": "inv", "target_handle": "image"}]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Each key may make 5 requests a second: refused now and then, and a short wait (Retry-After: 1)."""
    return make_settings(tmp_path, api_key_rate_limit_per_minute=5, api_rate_limit_window_seconds=1)


async def test_recipes_sessions_runs_and_outputs(sdk: AsyncClient, tmp_path: Path) -> None:
    recipes = {r.id: r for r in await sdk.list_recipes()}
    assert recipes["prompt_to_avatar"].source == "bundled" and "prompt" in recipes["prompt_to_avatar"].inputs
    detail = await sdk.get_recipe("prompt_to_avatar")
    assert detail.bindings["prompt"][0].node == "avatar" and detail.input_schema["required"] == ["prompt"]
    prepared = await sdk.create_session_from_recipe("prompt_to_avatar", {"prompt": "a fox"}, "Prepared")
    assert (await sdk.get_session(prepared.session_id)).name == "Prepared"
    assert await sdk.get_session_execution(prepared.session_id) is None  # execute=false: not run

    session = await sdk.new_session("SDK")
    saved = await sdk.put_studio_flow(session.id, GRAPH, session.version)
    assert saved.version == session.version + 1 and saved.node_count == 2
    started = await sdk.execute_full(session.id)
    assert isinstance(started, Run) and started.session_id == session.id
    run = await sdk.poll_session(session.id, interval=0.05, timeout=60)
    assert run is not None and run.run_id == started.run_id and run.status == "succeeded"
    # Save and run in one round trip: an unchanged graph keeps its version, a changed one is saved.
    again = await sdk.save_and_execute(session.id, GRAPH, saved.version)
    assert again.version == saved.version and again.run.session_id == session.id
    await sdk.poll_session(session.id, interval=0.05, timeout=60)
    moved = {**GRAPH, "nodes": [{**GRAPH["nodes"][0], "position": {"x": 5, "y": 5}}, GRAPH["nodes"][1]]}
    assert (await sdk.save_and_execute(session.id, moved, again.version)).version == saved.version + 1
    run = await sdk.poll_session(session.id, interval=0.05, timeout=60)
    assert run is not None and run.status == "succeeded"

    outputs = parse_execution_outputs(run)
    images = outputs.flatten_images()
    assert [(m.node_id, m.output, m.width, m.height) for m in images] == [("bg", "image", 64, 48),
                                                                         ("inv", "image", 64, 48)]
    assert outputs.flatten_videos() == [] and outputs.flatten_audios() == []
    assert sdk.absolute_url(images[1].url) == f"http://{TEST_HOST}/api/v2/media/{images[1].media_id}/download"

    seen: list[tuple[int, int | None]] = []
    path = await sdk.download(images[1], tmp_path / "inverted.png", progress=lambda done, total: seen.append(
        (done, total)))
    assert path is not None and seen[-1][0] == seen[-1][1] == path.stat().st_size
    with Image.open(path) as img:
        assert img.getpixel((0, 0))[:3] == (0xFF - 0x22, 0xFF - 0x44, 0xFF - 0x88)
    buffer = io.BytesIO()
    assert await sdk.download(images[0].media_id, buffer) is None and buffer.getvalue()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".*.part"))

    assert (await sdk.stop_session(session.id)).stopped is False  # nothing running
    cancel = await sdk.cancel_node_execution(session.id, "inv")
    assert cancel.node_id == "inv" and cancel.canceled is False


async def test_errors_carry_the_stable_code(sdk: AsyncClient, network: StudioNetwork) -> None:
    with pytest.raises(ApiError) as caught:
        await sdk.get_recipe("no_such_recipe")
    assert (caught.value.code, caught.value.status) == ("RECIPE_NOT_FOUND", 404)
    assert isinstance(caught.value, StudioError)  # the CLI's error handling applies as is

    with pytest.raises(ApiError) as caught:
        await sdk.run_recipe("prompt_to_avatar", {"prompt": ""})
    assert caught.value.code == "SCHEMA_VALIDATION" and caught.value.status == 422
    assert caught.value.details["errors"][0]["field"] == "prompt"

    session = await sdk.new_session("Conflict")
    await sdk.put_studio_flow(session.id, GRAPH, session.version)
    before = len(network.requests)
    with pytest.raises(ApiError) as caught:  # a stale version: a state conflict, not repeated
        await sdk.put_studio_flow(session.id, GRAPH, session.version)
    assert caught.value.code == "GRAPH_VERSION_CONFLICT" and len(network.requests) == before + 1

    with pytest.raises(ApiError) as caught:
        await sdk.get_session_execution("00000000-0000-0000-0000-000000000000")
    assert caught.value.code == "SESSION_NOT_FOUND"

    async with AsyncClient(f"http://{TEST_HOST}", api_key="mas_nope", transport=network) as stranger:
        with pytest.raises(ApiError) as caught:
            await stranger.get_balance()
    assert (caught.value.code, caught.value.status) == ("UNAUTHORIZED", 401)


async def test_rate_limited_calls_wait_retry_after_then_succeed(sdk: AsyncClient, network: StudioNetwork) -> None:
    for _ in range(8):  # the key may make 5 a second: the app answers 429 with Retry-After: 1
        assert (await sdk.get_balance()).total >= 0
    assert 429 in network.statuses and network.statuses[-1] == 200

    network.statuses.clear()
    first = len(network.requests)
    for n in range(6):  # a POST that creates something is repeated after 429 too: it was refused before any work
        await sdk.new_session(f"Rate {n}")
    assert 429 in network.statuses
    posts = [r for r in network.requests[first:] if r.method == "POST"]
    keys = [r.headers["idempotency-key"] for r in posts]
    assert len(set(keys)) == 6 and len(keys) > 6  # one key per call, the same on its repeats
    found = await sdk.list_sessions("Rate")  # each created once
    assert sorted(s.name for s in found.items) == [f"Rate {n}" for n in range(6)] and found.total == 6


async def test_server_errors_are_repeated_only_when_safe(sdk: AsyncClient, network: StudioNetwork) -> None:
    network.proxy_errors = [(503, {}), (502, {})]
    assert (await sdk.get_gpu_status()).state == "stopped"  # GET: repeated until the app answered
    assert network.statuses == [503, 502, 200]

    network.proxy_errors = [(503, {})]
    with pytest.raises(ApiError) as caught:
        await sdk.new_session("Once")  # creating: not repeated after a 5xx (no server-side deduplication yet)
    assert caught.value.code == "HTTP_503" and "upstream unavailable" in caught.value.message

    network.proxy_errors = [(503, {"Retry-After": "3600"})]
    with pytest.raises(ApiError) as caught:
        await sdk.ping()  # a Retry-After beyond a minute is not waited for
    assert caught.value.retry_after == 3600

    session = await sdk.new_session("Stop")
    network.proxy_errors = [(500, {})] * 5
    with pytest.raises(ApiError):
        await sdk.stop_session(session.id)  # idempotent, but bounded: 1 + 3 tries
    assert network.statuses[-4:] == [500] * 4


async def test_refused_connections_are_repeated_for_every_call(sdk: AsyncClient, network: StudioNetwork) -> None:
    network.refuse_connections = 2
    created = await sdk.run_recipe("prompt_to_avatar", {"prompt": "x"}, execute=False)  # nothing was sent
    assert (await sdk.get_session(created.session_id)).node_count == 2
    network.refuse_connections = 10
    with pytest.raises(ApiConnectionError) as caught:
        await sdk.ping()
    assert caught.value.code == "STUDIO_UNREACHABLE"


async def test_lost_answers_are_repeated_only_when_safe(sdk: AsyncClient, network: StudioNetwork) -> None:
    network.lose_answers = 2
    assert (await sdk.get_balance()).billing == "off"  # a GET: asked again
    session = await sdk.new_session("Lost")
    network.lose_answers = 1
    with pytest.raises(ApiTimeoutError) as caught:  # the run may have started: not asked again
        await sdk.execute_full(session.id)
    assert caught.value.code == "STUDIO_TIMEOUT" and isinstance(caught.value, ApiConnectionError)


async def test_uploads_from_a_path_or_a_file_object_with_progress(sdk: AsyncClient, tmp_path: Path) -> None:
    picture = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), (10, 200, 30)).save(picture)
    session = await sdk.new_session("Uploads")
    seen: list[tuple[int, int | None]] = []
    upload = await sdk.upload_studio_file(picture, session_id=session.id,
                                          progress=lambda done, total: seen.append((done, total)))
    assert upload.items[0].filename == "photo.png" and upload.items[0].width == 300
    assert upload.items[0].session_id == session.id and upload.id == upload.items[0].id
    assert seen[-1] == (picture.stat().st_size, picture.stat().st_size)

    data = io.BytesIO(picture.read_bytes())
    upload = await sdk.upload_studio_file(data, filename="ünïcode name.png")
    assert upload.items[0].filename == "ünïcode name.png" and upload.items[0].session_id is None

    with pytest.raises(ApiError) as caught:
        await sdk.upload_studio_file(io.BytesIO(b"not a picture"), filename="notes.txt", session_id=session.id)
    assert caught.value.status in (415, 422) and caught.value.code


async def test_loras_billing_system_and_gpu(sdk: AsyncClient) -> None:
    assert (await sdk.ping()).status == "ok"
    balance = await sdk.get_balance()
    assert balance.billing == "off" and balance.total == balance.available + balance.reserved
    assert await sdk.list_loras() == []
    with pytest.raises(ApiError) as caught:
        await sdk.resolve_lora_chain([LoraRef(name="missing", weight=0.5)])
    assert caught.value.code == "LORA_NOT_FOUND"
    with pytest.raises(ApiError) as caught:
        await sdk.resolve_lora_chain_by_filename([{"filename": "missing.safetensors"}])
    assert caught.value.code == "LORA_NOT_FOUND"
    assert await sdk.resolve_lora_chain([]) == []
    health = await sdk.get_gpu_scheduler_health()
    assert health.state == "stopped" and health.refused_tasks >= 0
    stopped = await sdk.stop_gpu()
    assert stopped.mode == "graceful" and stopped.state == "stopped"


def test_outputs_of_every_answer_shape() -> None:
    run: dict[str, Any] = {
        "run_id": "r", "session_id": "s", "mode": "full", "target_node_id": None, "status": "succeeded",
        "error": None, "created_at": 1.0, "started_at": 1.0, "finished_at": 2.0, "counts": {}, "loops": {},
        "nodes": {"split": {"node_type": "video.split", "status": "succeeded", "signature": "x", "progress": 1,
                            "message": None, "error": None, "started_at": 1, "finished_at": 2, "outputs": {
                                "video": {"media_id": "v", "kind": "video", "mime": "video/mp4", "url": "/v"},
                                "frames": [{"media_id": "f1", "kind": "image", "mime": "image/png", "url": "/f1"},
                                           {"media_id": "f2", "kind": "image", "mime": "image/png", "url": "/f2"}],
                                "text": "hello"}}}}
    for shape in (run, {"run": run}, Run.model_validate(run)):
        outputs = parse_execution_outputs(shape)
        assert [m.media_id for m in outputs.flatten_images()] == ["f1", "f2"]
        assert [m.output for m in outputs.flatten_videos()] == ["video"]
        assert outputs.node("split") is not None and outputs.node("split").values["text"] == "hello"  # type: ignore[union-attr]
    assert parse_execution_outputs({"run": None}).nodes == []
