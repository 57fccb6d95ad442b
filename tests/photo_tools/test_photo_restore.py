"""Photo restoration through the bundled recipe: measurably closer to the clean original."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from conftest import Api
from miniaistudio.runtimes.creative.photo_restore import blockiness

from .photo_helpers import (
    GRACE,
    damaged,
    fetch_image,
    metadata,
    psnr,
    result_node,
    rgb,
    run_recipe,
    save,
    ssim,
    upload,
)


async def test_restore_repairs_scratches_fading_and_noise(api: Api, tmp_path: Path) -> None:
    clean = rgb(GRACE)
    broken = damaged(clean)
    media = await upload(api, save(broken, tmp_path / "old-print.png"))
    run = await run_recipe(api, "photo_restore", {"image": media})
    assert run["status"] == "succeeded", run["error"]
    outputs = result_node(run)["outputs"]
    restored = np.asarray((await fetch_image(api, outputs["image"]["media_id"])).convert("RGB"))
    assert restored.shape == clean.shape

    before_psnr, after_psnr = psnr(broken, clean), psnr(restored, clean)
    before_ssim, after_ssim = ssim(broken, clean), ssim(restored, clean)
    assert after_psnr > before_psnr + 8, (before_psnr, after_psnr)  # measured 13.0 -> 25.6 dB
    assert after_ssim > before_ssim + 0.2, (before_ssim, after_ssim)  # measured 0.51 -> 0.78

    # The scratches are found and repaired, and the repair stays on them (the face is not repainted).
    mask = np.asarray(await fetch_image(api, outputs["mask"]["media_id"])) > 0
    assert 0.01 < mask.mean() < 0.12
    light_scratches = (broken.min(axis=2) > 200) & (clean.max(axis=2) < 150)
    assert mask[light_scratches].mean() > 0.6, mask[light_scratches].mean()

    meta = await metadata(api, outputs["image"]["media_id"])
    assert meta["engine"] == "classical-restore" and meta["ai_generated"] is False
    assert {"scratches", "denoise", "color", "sharpen"} <= set(meta["restoration"]["steps"])
    assert meta["restoration"]["noise_sigma"] > 2


async def test_restore_upscales_and_leaves_a_clean_photo_close_to_itself(api: Api, tmp_path: Path) -> None:
    with Image.open(GRACE) as img:
        small = np.asarray(img.convert("RGB").resize((256, 300)))
    media = await upload(api, save(small, tmp_path / "clean.png"))
    run = await run_recipe(api, "photo_restore", {"image": media, "upscale": True})
    assert run["status"] == "succeeded", run["error"]
    outputs = result_node(run)["outputs"]
    out = await fetch_image(api, outputs["image"]["media_id"])
    assert out.size == (512, 600)
    # A photo with nothing to repair stays close to itself (no scratches invented on the face).
    mask = np.asarray(await fetch_image(api, outputs["mask"]["media_id"])) > 0
    assert mask.mean() < 0.03  # measured 0.014
    meta = await metadata(api, outputs["image"]["media_id"])
    assert meta["upscale"] == "classical-lanczos 2x" and meta["ai_generated"] is False


async def test_restore_takes_odd_inputs(api: Api, tmp_path: Path) -> None:
    """A 3x5 image, a grey one and one with alpha restore without error; alpha and mode survive."""
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (3, 5), (120, 80, 40)).save(tiny)
    grey = tmp_path / "grey.png"
    Image.open(GRACE).convert("L").resize((64, 75)).save(grey)
    alpha = tmp_path / "alpha.png"
    img = Image.open(GRACE).convert("RGBA").resize((64, 75))
    img.putalpha(128)
    img.save(alpha)
    for path, size in ((tiny, (3, 5)), (grey, (64, 75)), (alpha, (64, 75))):
        run = await run_recipe(api, "photo_restore", {"image": await upload(api, path)})
        assert run["status"] == "succeeded", (path.name, run["error"])
        out = await fetch_image(api, result_node(run)["outputs"]["image"]["media_id"])
        assert out.size == size
        if path is alpha:
            assert out.mode == "RGBA" and out.getchannel("A").getextrema() == (128, 128)


async def test_restore_deblocks_a_heavily_compressed_jpeg(api: Api, tmp_path: Path) -> None:
    clean = rgb(GRACE)
    path = tmp_path / "blocky.jpg"
    Image.fromarray(clean).save(path, "JPEG", quality=10)
    blocky = rgb(path)
    run = await run_recipe(api, "photo_restore", {"image": await upload(api, path)})
    assert run["status"] == "succeeded", run["error"]
    outputs = result_node(run)["outputs"]
    meta = await metadata(api, outputs["image"]["media_id"])
    assert "deblock" in meta["restoration"]["steps"] and meta["restoration"]["blockiness"] > 1.5
    restored = np.asarray((await fetch_image(api, outputs["image"]["media_id"])).convert("RGB"))
    assert blockiness(restored) < blockiness(blocky) - 0.3, (blockiness(blocky), blockiness(restored))
