"""Content Credentials of what a model made: AI-generated (trainedAlgorithmicMedia) with the engine
and model signed, and an AI image edited by a classical node keeps the AI image as its ingredient."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import Api, edge, node

from .conftest import install, run_nodes, succeeded

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


async def credentials(api: Api, media_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v2/media/{media_id}/credentials")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_model_made_image_is_signed_as_ai_generated(admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd)
    nodes = [node("gpu", "gpu.control"),
             node("gen", "image.generate", prompt="a lighthouse", steps=2, cfg=5.0, seed=1),
             node("adj", "image.adjust", brightness=1.2)]
    run, _ = await run_nodes(admin, nodes, [edge("gpu", "gpu", "gen", "gpu"), edge("gen", "image", "adj", "image")])
    generated = succeeded(run, "gen")["media_id"]
    record = (await admin.get(f"/api/v2/media/{generated}")).json()
    summary = await credentials(admin, generated)
    assert summary["verified"] and summary["trusted"]
    assert summary["ai_generated"] is record["metadata"]["ai_generated"] is True
    assert summary["digital_source_type"] == AI and summary["actions"][0]["action"] == "c2pa.created"
    assert (summary["engine"], summary["model"], summary["node_type"]) == ("diffusers", "tiny-sd", "image.generate")

    # the classical edit of it is not itself AI-made; its ingredient is the signed AI image
    edited = await credentials(admin, succeeded(run, "adj")["media_id"])
    assert edited["verified"] and edited["ai_generated"] is False
    [ingredient] = edited["ingredients"]
    assert (ingredient["media_id"], ingredient["relationship"], ingredient["has_credentials"]) == (
        generated, "parentOf", True)
