from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from node_helpers import run_graph, upload

from conftest import FIXTURES, Api, error_code, node, output


async def test_upload_photo_outputs_the_selected_item(api: Api) -> None:
    session = await api.new_session()
    ids = [await upload(api, FIXTURES / name, session["id"]) for name in ("astronaut.png", "coffee.png")]
    run = await run_graph(api, [node("u", "upload.image", media_ids=ids, selected_index=1)], session=session)
    image = output(run, "u", "image")
    assert image["media_id"] == ids[1]
    assert image["kind"] == "image"
    assert (image["width"], image["height"]) == (600, 400)  # coffee.png


async def test_random_pick_is_cached_only_with_a_seed(api: Api) -> None:
    session = await api.new_session()
    ids = [await upload(api, FIXTURES / name, session["id"])
           for name in ("astronaut.png", "coffee.png", "chelsea.png")]
    seeded = await run_graph(api, [node("u", "upload.image", media_ids=ids, selection="random", seed=7)],
                             session=session)
    assert output(seeded, "u", "image")["media_id"] in ids
    assert (await api.run(session["id"]))["counts"] == {"cached": 1}

    await api.save_graph(session, {"nodes": [node("u", "upload.image", media_ids=ids, selection="random")],
                                   "edges": []})
    picks = set()
    for _ in range(6):
        run = await api.run(session["id"])
        assert run["counts"] == {"succeeded": 1}, run  # never served from the cache
        picks.add(output(run, "u", "image")["media_id"])
    assert picks <= set(ids)
    assert len(picks) > 1  # six unseeded picks among three are all equal with probability 1/243


async def test_another_users_media_is_not_found(api: Api, make_user: Callable[..., Any]) -> None:
    other = await make_user()
    theirs = await upload(other, FIXTURES / "rocket.jpg")
    run = await run_graph(api, [node("u", "upload.image", media_ids=[theirs])])
    assert run["status"] == "failed"
    assert error_code(run, "u") == "MEDIA_NOT_FOUND"


async def test_wrong_kind_and_empty_list_fail_with_stable_codes(api: Api, test_audio: Path) -> None:
    audio_id = await upload(api, test_audio)
    run = await run_graph(api, [node("photo", "upload.image", media_ids=[audio_id]),
                                node("none", "upload.video", media_ids=[]),
                                node("sound", "upload.audio", media_ids=[audio_id])])
    assert error_code(run, "photo") == "WRONG_MEDIA_KIND"
    assert error_code(run, "none") == "NO_MEDIA"
    assert "no video uploaded" in run["nodes"]["none"]["error"]["message"]
    sound = output(run, "sound", "audio")
    assert sound["media_id"] == audio_id
    assert abs(sound["duration"] - 2.0) < 0.1


async def test_upload_video_selected_index_past_the_end(api: Api, test_video: Path) -> None:
    video_id = await upload(api, test_video)
    run = await run_graph(api, [node("v", "upload.video", media_ids=[video_id], selected_index=3)])
    assert error_code(run, "v") == "SELECTION_OUT_OF_RANGE"
