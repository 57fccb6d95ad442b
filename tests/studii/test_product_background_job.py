"""Studii's product-background tool end to end through ``POST /api/v1/jobs``: the seed's upload
steps, the job on the bundled recipe's real u2netp cut-out (placed in this studio's models folder the
way ``tests/photo_tools`` does), the result fetched from ``output_url`` and measured."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.runtimes.models.vision_assets import u2netp_target
from miniaistudio.studio import Studio
from photo_tools.conftest import u2netp_placed
from photo_tools.photo_helpers import iou, synthetic_product

from .conftest import bearer, grant, job_when, studii_key, uploaded

__all__ = ["u2netp_placed"]


@pytest.fixture
def settings(tmp_path: Path, u2netp_placed: Path) -> Settings:
    """Studii's settings (billing on), with the product cut-out model in this studio's models folder."""
    models = tmp_path / "models"
    target = u2netp_target(models)
    target.parent.mkdir(parents=True)
    shutil.copyfile(u2netp_placed, target)
    return make_settings(tmp_path, models_dir=models, model_import_dirs=[tmp_path.parent], billing="credits",
                         gpu_price_per_minute=0)


async def test_product_background_through_the_jobs_door(studio: Studio, api: Api) -> None:
    await grant(api, studio, 10)
    key = await studii_key(api)
    photo, truth = synthetic_product()
    png = io.BytesIO()
    Image.fromarray(photo).save(png, format="PNG")
    object_key = await uploaded(api.client, key, png.getvalue(), "image/png", "bottle.png")
    r = await api.client.post("/api/v1/jobs", headers=bearer(key), json={
        "tool": "product-background", "inputs": {"background": "color", "color": "#3366cc"},
        "source_object_key": object_key})
    assert r.status_code == 202 and r.json()["status"] == "queued", r.text
    done = await job_when(api.client, key, r.json()["status_url"], "completed", "failed")
    assert done["status"] == "completed" and done["tool"] == "product-background", done
    assert done["output_kind"] == "image" and done["error"] is None and done["credits_charged"] == 0
    output = await api.client.get(done["output_url"].removeprefix(studio.settings.resolved_public_url))
    assert output.status_code == 200 and output.headers["content-type"] == "image/png"
    out = np.asarray(Image.open(io.BytesIO(output.content)).convert("RGB"), np.int32)
    assert out.shape == photo.shape
    # the product is where it was, on the colour asked for: pixels far from the colour are the product
    blue = np.array((0x33, 0x66, 0xCC))
    product = np.abs(out - blue).max(axis=2) > 40
    ys = np.nonzero(truth)[0]
    product[ys.max() + 1:] = False  # the contact shadow under the base is not the product
    assert iou(product, truth) > 0.9, iou(product, truth)
    assert np.abs(out[:40, :40] - blue).max() <= 1
