"""Recipes: catalog, validation errors, safe URL inputs, all-or-nothing creation, and every
bundled recipe opened (execute=false) and run end to end where this machine's CPU can."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, Api, ffmpeg_media, wait_for_run
from miniaistudio.core.graph import Graph
from miniaistudio.core.registry import default_registry

ALL_RECIPES = {
    "prompt_to_avatar", "image_magic", "prompt_to_video", "video_add_vfx", "image_upscaler", "image_in_paint",
    "face_swap", "video_face_swap", "video_face_swap_precise", "music_generator", "text_overlay", "media_split",
    "media_mux", "frame_extract", "video_trim", "prompt_refine", "depth_extractor", "pose_extractor",
    "dynamic_camera_rendering",
}

IMAGE_MAGIC_EXAMPLE = {  # the seed's example, as written
    "session_name": "Product hero variants",
    "execute": False,
    "inputs": {
        "source_image_url": "https://example.com/product.png",
        "edit_prompt": "premium studio lighting on a dark reflective surface",
        "negative_prompt": "blur, watermark, distorted logo",
        "seed": 0,
    },
}


@pytest.fixture
def media_files(tmp_path: Path) -> dict[str, Path]:
    return {
        "portrait": FIXTURES / "grace_hopper.jpg",
        "face": FIXTURES / "astronaut.png",
        "product": FIXTURES / "coffee.png",
        "video": ffmpeg_media(tmp_path, "short.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=12:duration=1.5",
                              "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", "-c:v", "libx264",
                              "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"),
        "face_video": ffmpeg_media(tmp_path, "face.mp4", "-loop", "1", "-i", str(FIXTURES / "grace_hopper.jpg"),
                                   "-f", "lavfi", "-i", "sine=frequency=300:duration=1", "-t", "1", "-r", "8",
                                   "-vf", "scale=256:-2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                                   "-shortest"),
        "audio": ffmpeg_media(tmp_path, "tone.wav", "-f", "lavfi", "-i", "sine=frequency=330:duration=1"),
        "mask": _mask(tmp_path),
    }


def _mask(tmp_path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("L", (400, 400), 0)
    ImageDraw.Draw(img).ellipse((100, 100, 300, 300), fill=255)
    path = tmp_path / "mask.png"
    img.save(path)
    return path


async def gallery(api: Api, media_files: dict[str, Path]) -> dict[str, str]:
    return {name: (await api.upload(None, path))["id"] for name, path in media_files.items()}


def inputs_for(recipe_id: str, g: dict[str, str]) -> dict[str, Any]:
    """Valid inputs for each bundled recipe, using gallery media ids instead of URLs."""
    return {
        "prompt_to_avatar": {"prompt": "a friendly robot mascot, studio portrait"},
        "image_magic": {"source_image_url": g["product"], "edit_prompt": "make it look like night"},
        "prompt_to_video": {"source_image_url": g["portrait"], "duration": 1, "fps": 8},
        "video_add_vfx": {"source_video_url": g["video"], "prompt": "cinematic film grain with a vignette"},
        "image_upscaler": {"source_image_url": g["product"], "scale": 2},
        "image_in_paint": {"source_image_url": g["product"], "mask_image_url": g["mask"], "prompt": "a red mug"},
        "face_swap": {"source_image_url": g["face"], "target_image_url": g["portrait"]},
        "video_face_swap": {"source_image_url": g["face"], "target_video_url": g["face_video"]},
        "video_face_swap_precise": {"source_image_url": g["face"], "target_video_url": g["face_video"],
                                    "preserve_mouth": False, "feather": 0.08},
        "music_generator": {"style": "calm piano", "mood": "calm", "tempo": 90, "duration": 4, "seed": 3},
        "text_overlay": {"source_image_url": g["product"], "text": "Fresh roast", "position": "top-center"},
        "media_split": {"source_video_url": g["video"]},
        "media_mux": {"source_video_url": g["video"], "audio_url": g["audio"]},
        "frame_extract": {"source_video_url": g["video"], "time": 0.5},
        "video_trim": {"source_video_url": g["video"], "start": 0.25, "duration": 0.5},
        "prompt_refine": {"prompt": "a cat on a sofa", "max_tokens": 24, "temperature": 0.2},
        "depth_extractor": {"source_image_url": g["product"]},
        "pose_extractor": {"source_image_url": g["portrait"]},
        "dynamic_camera_rendering": {"source_image_url": g["portrait"], "azimuth": 20, "elevation": 5},
    }[recipe_id]


# Recipes whose default engine needs a generative model (tested with tiny models in tests/models).
NEEDS_MODEL = {"prompt_to_avatar", "image_magic", "image_in_paint", "depth_extractor"}


async def counts(api: Api) -> tuple[int, int]:
    sessions = (await api.get("/api/v2/sessions")).json()["total"]
    media = (await api.get("/api/v2/media")).json()["total"]
    return sessions, media


async def test_catalog_lists_all_bundled_recipes_with_valid_schemas(api: Api) -> None:
    from jsonschema import Draft202012Validator

    r = await api.get("/api/v2/recipes")
    assert r.status_code == 200
    recipes = {item["id"]: item for item in r.json()["recipes"]}
    assert set(recipes) >= ALL_RECIPES
    for rid in ALL_RECIPES:
        Draft202012Validator.check_schema(recipes[rid]["input_schema"])
        detail = (await api.get(f"/api/v2/recipes/{rid}")).json()
        assert {"name", "description", "version", "inputs", "input_schema"} <= set(detail)
    assert (await api.get("/api/v2/recipes/nope")).json()["code"] == "RECIPE_NOT_FOUND"


async def test_image_magic_example_works_as_written(api: Api) -> None:
    r = await api.post("/api/v2/recipes/image_magic/run", json=IMAGE_MAGIC_EXAMPLE)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"session_id"}
    session = (await api.get(f"/api/v2/sessions/{r.json()['session_id']}")).json()
    assert session["name"] == "Product hero variants"
    nodes = {n["id"]: n for n in session["graph"]["nodes"]}
    assert nodes["source"]["params"]["source_url"] == "https://example.com/product.png"
    assert nodes["edit"]["params"]["instruction"] == IMAGE_MAGIC_EXAMPLE["inputs"]["edit_prompt"]  # type: ignore[index]
    assert nodes["edit"]["params"]["seed"] == 0


async def test_every_recipe_opens_with_a_valid_graph(api: Api, media_files: dict[str, Path]) -> None:
    g = await gallery(api, media_files)
    for rid in sorted(ALL_RECIPES):
        r = await api.post(f"/api/v2/recipes/{rid}/run", json={"execute": False, "inputs": inputs_for(rid, g)})
        assert r.status_code == 200, (rid, r.text)
        session = (await api.get(f"/api/v2/sessions/{r.json()['session_id']}")).json()
        graph = Graph.model_validate(session["graph"])
        for node in graph.nodes:  # every parameter the recipe wrote is valid for its node
            spec = default_registry.require(node.type)
            spec.validate_params(node.params)


@pytest.mark.parametrize("recipe_id", sorted(ALL_RECIPES - NEEDS_MODEL))
async def test_cpu_recipes_run_end_to_end(api: Api, media_files: dict[str, Path], recipe_id: str) -> None:
    g = await gallery(api, media_files)
    r = await api.post(f"/api/v2/recipes/{recipe_id}/run",
                       json={"execute": True, "session_name": recipe_id, "inputs": inputs_for(recipe_id, g)})
    assert r.status_code == 200, r.text
    run = await wait_for_run(api, r.json()["session_id"])
    assert run["status"] == "succeeded", (recipe_id, run["error"],
                                          {k: v["error"] for k, v in run["nodes"].items() if v["error"]})
    produced = [v["outputs"] for v in run["nodes"].values() if v["outputs"]]
    assert produced


@pytest.mark.parametrize(("inputs", "field", "validator"), [
    ({}, "edit_prompt", "required"),
    ({"edit_prompt": 5}, "edit_prompt", "type"),
    ({"edit_prompt": "x", "seed": -7}, "seed", "minimum"),
    ({"edit_prompt": "x", "strength": 3}, "strength", "maximum"),
    ({"edit_prompt": "x", "surprise": True}, "", "additionalProperties"),
])
async def test_schema_violations_name_the_field(api: Api, inputs: dict[str, Any], field: str,
                                                validator: str) -> None:
    before = await counts(api)
    body = {"inputs": {"source_image_url": "https://example.com/a.png", **inputs}}
    r = await api.post("/api/v2/recipes/image_magic/run", json=body)
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["code"] == "SCHEMA_VALIDATION"
    assert any(e["validator"] == validator and e["field"] == field for e in err["details"]["errors"]), err
    assert await counts(api) == before


@pytest.mark.parametrize("url", ["http://127.0.0.1:8790/x.png", "http://localhost/x.png",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x.png",
                                 "file:///etc/passwd", "ftp://example.com/x.png"])
async def test_private_and_non_http_urls_are_refused_and_nothing_is_created(api: Api, url: str) -> None:
    before = await counts(api)
    for execute in (False, True):
        r = await api.post("/api/v2/recipes/image_upscaler/run",
                           json={"execute": execute, "inputs": {"source_image_url": url}})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "URL_NOT_ALLOWED", r.text
    assert await counts(api) == before


async def test_gallery_ids_of_other_users_are_refused(api: Api, make_user: Any) -> None:
    other = await make_user()
    theirs = (await other.upload(None, FIXTURES / "coffee.png"))["id"]
    before = await counts(api)
    r = await api.post("/api/v2/recipes/image_upscaler/run", json={"inputs": {"source_image_url": theirs}})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUTS", r.text
    assert await counts(api) == before


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "coffee.png").write_bytes((FIXTURES / "coffee.png").read_bytes())
    (root / "notes.png").write_text("not an image at all")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


async def test_url_inputs_are_fetched_when_allowed_and_sniffed(file_server: str, studio: Any, api: Api) -> None:
    studio.recipes.allow_private_urls = True  # this studio trusts the local test server
    r = await api.post("/api/v2/recipes/image_upscaler/run",
                       json={"execute": True, "inputs": {"source_image_url": f"{file_server}/coffee.png"}})
    assert r.status_code == 200, r.text
    sid = r.json()["session_id"]
    assert (await wait_for_run(api, sid))["status"] == "succeeded"
    media = (await api.get(f"/api/v2/media/sessions/{sid}")).json()["items"]
    assert any(m["origin"] == "upload" and m["mime"] == "image/png" for m in media)
    before = await counts(api)
    r = await api.post("/api/v2/recipes/image_upscaler/run",
                       json={"execute": True, "inputs": {"source_image_url": f"{file_server}/notes.png"}})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUTS", r.text
    r = await api.post("/api/v2/recipes/image_upscaler/run",
                       json={"execute": True, "inputs": {"source_image_url": f"{file_server}/missing.png"}})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUTS", r.text
    assert await counts(api) == before


async def test_publish_a_session_as_a_recipe_and_run_it(api: Api) -> None:
    session = await api.new_session("Poster")
    graph = {"nodes": [{"id": "bg", "type": "image.solid_color", "params": {"width": 32, "height": 32}},
                       {"id": "title", "type": "image.text_overlay", "params": {"text": "Hello", "size": 8}}],
             "edges": [{"id": "e", "source": "bg", "source_handle": "image", "target": "title",
                        "target_handle": "image"}]}
    await api.save_graph(session, graph)
    r = await api.post(f"/api/v2/sessions/{session['id']}/publish-recipe", json={
        "id": "my_poster", "name": "My poster",
        "inputs": [{"name": "headline", "node_id": "title", "field": "text"},
                   {"name": "background", "node_id": "bg", "field": "color", "required": False}]})
    assert r.status_code == 201, r.text
    assert r.json()["input_schema"]["properties"]["background"]["pattern"]
    r = await api.post("/api/v2/recipes/my_poster/run",
                       json={"execute": True, "inputs": {"headline": "Sale", "background": "#112233"}})
    assert r.status_code == 200, r.text
    run = await wait_for_run(api, r.json()["session_id"])
    assert run["status"] == "succeeded"
    bad = await api.post("/api/v2/recipes/my_poster/run", json={"inputs": {"background": "red"}})
    assert bad.json()["code"] == "SCHEMA_VALIDATION"
