"""Image generation, edit and inpaint on tiny random-weight diffusers pipelines, through the API:
real files in the gallery with provenance, warm cache, seeds, LoRAs, cancel, missing models."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from conftest import Api, edge, node

from .conftest import (
    current_run,
    download,
    failed,
    install,
    png_parameters,
    run_nodes,
    runtime_stats,
    succeeded,
    wait_for,
)

PROMPT = "a lighthouse at dusk, oil painting"


def gen(node_id: str = "gen", **params: Any) -> dict[str, Any]:
    return node(node_id, "image.generate", **{"prompt": PROMPT, "steps": 2, "cfg": 5.0, "seed": 42, **params})


def gpu_link(target: str) -> dict[str, Any]:
    return edge("gpu", "gpu", target, "gpu")


async def image_of(api: Api, run: dict[str, Any], node_id: str, tmp_path: Path, socket: str = "image") -> Path:
    value = succeeded(run, node_id, socket)
    return await download(api, value["media_id"], tmp_path / f"{value['media_id']}.png")


def same_pixels(a: Path, b: Path) -> bool:
    with Image.open(a) as x, Image.open(b) as y:
        return x.size == y.size and ImageChops.difference(x.convert("RGB"), y.convert("RGB")).getbbox() is None


async def test_text_to_image_end_to_end(admin: Api, tiny_sd: Path, tmp_path: Path) -> None:
    await install(admin, tiny_sd)
    run, session = await run_nodes(admin, [node("gpu", "gpu.control"), gen(negative_prompt="blurry")],
                                   [gpu_link("gen")])
    first = await image_of(admin, run, "gen", tmp_path)
    with Image.open(first) as img:
        assert img.size == (64, 64) and img.format == "PNG"
    prov = png_parameters(first)
    assert prov["ai_generated"] is True and prov["engine"] == "diffusers"
    assert (prov["model"], prov["prompt"], prov["negative_prompt"]) == ("tiny-sd", PROMPT, "blurry")
    assert (prov["seed"], prov["steps"], prov["cfg"], prov["width"], prov["height"]) == (42, 2, 5.0, 64, 64)
    assert prov["pipeline"] == "StableDiffusionPipeline"
    assert (prov["device"], prov["dtype"]) == ("cpu", "float32")
    assert prov["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert prov["model_loaded_now"] is True and len(prov["model_sha256"]) == 64
    assert "trainedAlgorithmicMedia" in prov["_chunks"]["XML:com.adobe.xmp"]
    assert prov["_chunks"]["DigitalSourceType"].endswith("trainedAlgorithmicMedia")

    r = await admin.get(f"/api/v2/media/{succeeded(run, 'gen')['media_id']}")
    assert r.status_code == 200, r.text
    assert r.json()["media_type"] == "image" and r.json()["metadata"]["seed"] == 42

    stats = await runtime_stats(admin)
    [key] = stats["cache"]["loads"]
    assert key.startswith("tiny-sd@") and stats["cache"]["loads"][key] == 1
    assert stats["gpu"]["state"] == "ready"

    # Warm: a new prompt in the same session does not load the pipeline again.
    await admin.save_graph(session, {"nodes": [node("gpu", "gpu.control"), gen(prompt="a red fox", seed=7)],
                                     "edges": [gpu_link("gen")]})
    second = await image_of(admin, await admin.run(session["id"]), "gen", tmp_path)
    assert png_parameters(second)["model_loaded_now"] is False
    stats = await runtime_stats(admin)
    assert stats["cache"]["loads"] == {key: 1} and stats["cache"]["hits"] >= 1

    # Same seed and parameters, forced to run again: the same pixels.
    await admin.save_graph(session, {"nodes": [node("gpu", "gpu.control"), gen(negative_prompt="blurry")],
                                     "edges": [gpu_link("gen")]})
    again = await image_of(admin, await admin.rerun(session["id"], "gen"), "gen", tmp_path)
    assert same_pixels(first, again)


async def test_random_seed_is_recorded_and_not_cached(admin: Api, tiny_sd: Path, tmp_path: Path) -> None:
    await install(admin, tiny_sd)
    run, session = await run_nodes(admin, [gen(seed=-1, aspect_ratio="4:3")])
    prov = png_parameters(await image_of(admin, run, "gen", tmp_path))
    seed = prov["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**32 and prov["params"]["seed"] == -1
    assert (prov["width"], prov["height"]) == (72, 56)  # 4:3 at the 64x64 area, in steps of 4 px
    again = await admin.run(session["id"])
    assert again["nodes"]["gen"]["status"] == "succeeded"  # not served from cache
    assert png_parameters(await image_of(admin, again, "gen", tmp_path))["seed"] != seed


async def test_loras_change_the_output_and_unload(admin: Api, tiny_sd: Path, tiny_lora: Path, tmp_path: Path) -> None:
    await install(admin, tiny_sd)
    await install(admin, tiny_lora)
    session = await admin.new_session()
    outputs = []
    for loras in ([], [{"name": "camera-angles", "weight": 1.0}], []):
        await admin.save_graph(session, {"nodes": [gen(seed=7, loras=loras)], "edges": []})
        run = await admin.rerun(session["id"], "gen")  # forced: the third would be a cache hit otherwise
        outputs.append(await image_of(admin, run, "gen", tmp_path))
        if loras:
            prov = png_parameters(outputs[-1])
            assert [(item["id"], item["weight"]) for item in prov["loras"]] == [("camera-angles", 1.0)]
    plain, with_lora, plain_again = outputs
    assert not same_pixels(plain, with_lora)
    assert same_pixels(plain, plain_again)  # the adapter is switched off again on the shared pipeline
    assert list((await runtime_stats(admin))["cache"]["loads"].values()) == [1]

    run, _ = await run_nodes(admin, [gen(loras=[{"name": "no-such-lora", "weight": 1}])], session=session)
    error = failed(run, "gen")
    assert error["code"] == "LORA_NOT_FOUND" and "no-such-lora" in error["message"]


async def test_model_not_installed_names_the_command(api: Api) -> None:
    session = await api.new_session()
    cases = {
        "": "miniaistudio models pull stabilityai/sd-turbo",
        "acme/dream-model": "miniaistudio models pull acme/dream-model",
        "./checkpoints/dream": "miniaistudio models import ./checkpoints/dream",
    }
    for model, command in cases.items():
        run, _ = await run_nodes(api, [gen(model=model)], session=session)
        error = failed(run, "gen")
        assert error["code"] == "MODEL_NOT_INSTALLED", error
        assert f"`{command}`" in error["message"]
        assert error["details"]["command"] == command


async def test_edit_and_inpaint(admin: Api, tiny_sd: Path, tiny_pix2pix: Path, fixed_image: Path,
                                tmp_path: Path) -> None:
    await install(admin, tiny_sd)
    await install(admin, tiny_pix2pix)
    session = await admin.new_session()
    photo = (await admin.upload(session["id"], fixed_image))["id"]
    mask_path = tmp_path / "mask.png"
    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (16, 8, 48, 40))
    mask.save(mask_path)
    mask_id = (await admin.upload(session["id"], mask_path))["id"]
    nodes = [
        node("photo", "upload.image", media_ids=[photo]),
        node("mask", "upload.image", media_ids=[mask_id]),
        node("pix", "image.edit", model="tiny-pix2pix", instruction="make it winter", steps=2, seed=1,
             image_guidance=1.2),
        node("i2i", "image.edit", model="tiny-sd", instruction="watercolor", steps=4, seed=1, strength=0.5),
        node("inp", "image.inpaint", model="tiny-sd", prompt="a red balloon", steps=2, seed=1),
    ]
    edges = [edge("photo", "image", "pix", "image"), edge("photo", "image", "i2i", "image"),
             edge("photo", "image", "inp", "image"), edge("mask", "image", "inp", "mask")]
    run, _ = await run_nodes(admin, nodes, edges, session=session)

    pix = png_parameters(await image_of(admin, run, "pix", tmp_path))
    assert (pix["pipeline"], pix["prompt"], pix["image_guidance"]) == (
        "StableDiffusionInstructPix2PixPipeline", "make it winter", 1.2)
    assert (pix["width"], pix["height"]) == (64, 48)
    i2i = png_parameters(await image_of(admin, run, "i2i", tmp_path))
    assert (i2i["pipeline"], i2i["strength"], i2i["steps"]) == ("StableDiffusionImg2ImgPipeline", 0.5, 4)
    inp = png_parameters(await image_of(admin, run, "inp", tmp_path))
    assert (inp["pipeline"], inp["prompt"]) == ("StableDiffusionInpaintPipeline", "a red balloon")
    for prov in (pix, i2i, inp):
        assert prov["ai_generated"] is True and prov["digital_source_type"].endswith("trainedAlgorithmicMedia")
    # img2img and inpaint reuse the loaded text-to-image weights: one load per model.
    assert sorted((await runtime_stats(admin))["cache"]["loads"].values()) == [1, 1]


async def test_cancel_mid_denoise(admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd)
    session = await admin.new_session()
    await admin.save_graph(session, {"nodes": [gen(steps=200)], "edges": []})
    r = await admin.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code in (200, 202), r.text

    async def progressing() -> dict[str, Any] | None:
        state = (await current_run(admin, session))["nodes"]["gen"]
        return state if state["status"] == "running" and state["progress"] > 0.0 else None

    await wait_for(progressing, timeout=60)
    canceled_at = time.monotonic()
    r = await admin.post("/api/v2/session/nodes/gen/cancel", session=session["id"])
    assert r.status_code == 200, r.text

    async def finished() -> dict[str, Any] | None:
        run = await current_run(admin, session)
        return run if run["status"] not in ("queued", "running") else None

    run = await wait_for(finished, timeout=30)
    elapsed = time.monotonic() - canceled_at
    state = run["nodes"]["gen"]
    assert state["status"] == "canceled" and state["error"]["code"] == "CANCELED", state
    assert state["progress"] < 0.9
    assert elapsed < 5.0, f"cancel took {elapsed:.2f} s"  # one denoising step at most, on a busy CPU
    r = await admin.get("/api/v2/media")
    assert r.status_code == 200
