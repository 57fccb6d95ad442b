"""The bundled recipes whose default engine is a generative model, run end to end with the
tiny random-weight models (imported through the API like a user's checkpoints)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from conftest import FIXTURES, Api, media_record, wait_for_run

from .conftest import install


async def test_model_recipes_run_end_to_end(admin: Api, tiny_sd: Path, tiny_dpt: Path, tmp_path: Path) -> None:
    await install(admin, tiny_sd, default_params={"steps": 2})
    await install(admin, tiny_dpt)
    product = (await admin.upload(None, FIXTURES / "coffee.png"))["id"]
    mask_path = tmp_path / "mask.png"
    mask = Image.new("L", (600, 400), 0)
    ImageDraw.Draw(mask).ellipse((200, 100, 400, 300), fill=255)
    mask.save(mask_path)
    mask_id = (await admin.upload(None, mask_path))["id"]

    cases = {
        "prompt_to_avatar": ({"prompt": "a friendly robot mascot", "seed": 7}, "avatar"),
        "image_magic": ({"source_image_url": product, "edit_prompt": "make it look like night", "seed": 3},
                        "edit"),
        "image_in_paint": ({"source_image_url": product, "mask_image_url": mask_id, "prompt": "a red mug",
                            "seed": 5}, "inpaint"),
        "depth_extractor": ({"source_image_url": product}, "depth"),
    }
    for recipe_id, (inputs, node_id) in cases.items():
        r = await admin.post(f"/api/v2/recipes/{recipe_id}/run", json={"execute": True, "inputs": inputs})
        assert r.status_code == 200, (recipe_id, r.text)
        run = await wait_for_run(admin, r.json()["session_id"])
        assert run["status"] == "succeeded", (recipe_id, {k: v["error"] for k, v in run["nodes"].items()})
        image = run["nodes"][node_id]["outputs"]["image"]
        meta = (await media_record(admin, image["media_id"]))["metadata"]
        assert meta["ai_generated"] is True and meta["model"], (recipe_id, meta)
