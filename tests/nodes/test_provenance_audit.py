"""Registry-wide provenance audit: every node type that writes media says exactly which engine made
it and marks ``ai_generated`` only where a trained model made the output (docs/architecture.md, the
provenance rule).

1. Every node type with an image, video or audio output is declared below as classical, model-made or
   by-engine (a new node type fails this test until someone decides which it is).
2. A classical node's own code never writes ``ai_generated`` other than ``False``.
3. The classical nodes that need no model run for real in one graph: every output they write carries an
   ``engine``, ``ai_generated: false`` and a digital source type that is not the AI one.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path
from typing import Any

from conftest import Api, edge, node
from miniaistudio.core.registry import default_registry
from miniaistudio.core.sockets import SocketType
from miniaistudio.runtimes.media.provenance import IPTC_AI, IPTC_COMPOSITE_AI, source_type

MEDIA = {SocketType.IMAGE, SocketType.VIDEO, SocketType.AUDIO}

#: Never a trained model's output (Pillow, ffmpeg, rule-based composition, formant speech, layout engines;
#: mediapipe may locate a face but draws nothing).
CLASSICAL = {
    "image.adjust", "image.composite", "image.crop", "image.resize", "image.rotate", "image.solid_color",
    "image.text_overlay", "image.mockup_composite", "image.career_photo", "image.thumbnail",
    "video.trim", "video.split", "video.mux", "video.frame_extract", "video.text_overlay", "video.effects",
    "video.burn_captions", "video.ken_burns", "video.product_ad", "audio.trim",
    "upload.image", "upload.video", "upload.audio",
}
#: A trained model makes (part of) every output.
MODEL_MADE = {
    "image.generate", "image.edit", "image.inpaint", "image.depth", "video.from_text",
    "image.remove_background", "image.pose", "image.face_swap", "video.face_swap", "video.face_swap_precise",
}
#: AI only when the chosen engine is a model (classical by default, or a model when one is installed).
BY_ENGINE = {
    "image.upscale", "image.dynamic_camera", "video.from_image", "image.photo_restore", "image.product_background",
    "video.talking_avatar", "audio.tts", "audio.music",
}


def media_node_types() -> set[str]:
    return {spec.type for spec in default_registry.all()
            if spec.executable and any(socket.type in MEDIA for socket in spec.outputs.values())}


def test_every_media_node_is_audited() -> None:
    declared = CLASSICAL | MODEL_MADE | BY_ENGINE
    assert not (CLASSICAL & MODEL_MADE) and not (CLASSICAL & BY_ENGINE) and not (MODEL_MADE & BY_ENGINE)
    missing = media_node_types() - declared
    assert not missing, f"decide whether these make AI output and add them to the audit: {sorted(missing)}"
    assert not declared - media_node_types(), sorted(declared - media_node_types())


def ai_flags(source: str) -> list[ast.expr]:
    """Every value the code gives ``ai_generated`` (keyword arguments and dict keys)."""
    values: list[ast.expr] = []
    for item in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(item, ast.keyword) and item.arg == "ai_generated":
            values.append(item.value)
        elif isinstance(item, ast.Dict):
            values += [v for k, v in zip(item.keys, item.values, strict=True)
                       if isinstance(k, ast.Constant) and k.value == "ai_generated"]
    return values


def test_classical_nodes_never_claim_ai() -> None:
    for node_type in sorted(CLASSICAL):
        cls = default_registry.require(node_type).node_cls
        for value in ai_flags(inspect.getsource(cls)):
            assert isinstance(value, ast.Constant) and value.value is False, \
                f"{node_type} ({Path(inspect.getfile(cls)).name}) sets ai_generated={ast.unparse(value)}"


def test_model_made_nodes_say_so() -> None:
    """Each model-made node's module marks its outputs AI somewhere (directly or through a helper)."""
    for node_type in sorted(MODEL_MADE):
        module = inspect.getmodule(default_registry.require(node_type).node_cls)
        assert module is not None
        flags = ai_flags(inspect.getsource(module))
        assert any(isinstance(v, ast.Constant) and v.value is True for v in flags), node_type


async def test_classical_outputs_are_labelled_classical(api: Api, test_video: Path, test_audio: Path) -> None:
    video = (await api.upload(None, test_video))["id"]
    audio = (await api.upload(None, test_audio))["id"]
    small = {"width": 48, "height": 48}
    nodes = [
        node("bg", "image.solid_color", color="#336699", **small),
        node("fg", "image.solid_color", width=16, height=16, color="#cc3322"),
        node("adjust", "image.adjust", brightness=1.2), node("crop", "image.crop", width=24, height=24),
        node("resize", "image.resize", width=24, height=24), node("rotate", "image.rotate"),
        node("composite", "image.composite"), node("label", "image.text_overlay", text="Hi", size=12),
        node("upscale", "image.upscale", engine="classical"),
        node("camera", "image.dynamic_camera", engine="classical"),
        node("clip", "video.from_image", engine="classical", duration=0.5, fps=8),
        node("kenburns", "video.ken_burns", duration=0.5, fps=8),
        node("video", "upload.video", media_ids=[video]), node("audio", "upload.audio", media_ids=[audio]),
        node("trim", "video.trim", duration=1.0), node("frame", "video.frame_extract", time=0.5),
        node("split", "video.split"), node("mux", "video.mux"),
        node("vlabel", "video.text_overlay", text="Hi", size=12), node("fx", "video.effects", presets=["film_grain"]),
        node("atrim", "audio.trim", duration=1.0),
        node("words", "text", text="Hello."), node("espeak", "audio.tts", engine="espeak-ng", voice="espeak-ng:en-us"),
    ]
    edges = [edge("bg", "image", target, "image") for target in
             ("adjust", "crop", "resize", "rotate", "label", "upscale", "camera", "clip", "kenburns")]
    edges += [edge("bg", "image", "composite", "base"), edge("fg", "image", "composite", "overlay"),
              *(edge("video", "video", target, "video") for target in ("trim", "frame", "split", "mux", "vlabel",
                                                                      "fx")),
              edge("audio", "audio", "mux", "audio"), edge("audio", "audio", "atrim", "audio"),
              edge("words", "text", "espeak", "text")]
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    run = await api.run(session["id"])
    failed = {nid: state.get("error") for nid, state in run["nodes"].items() if state["status"] != "succeeded"}
    assert not failed, failed

    checked: dict[str, int] = {}
    for nid, state in run["nodes"].items():
        for value in state.get("outputs", {}).values():
            if not (isinstance(value, dict) and "media_id" in value) or nid in ("video", "audio"):
                continue
            meta: dict[str, Any] = (await api.get(f"/api/v2/media/{value['media_id']}")).json()["metadata"]
            assert meta.get("engine"), (nid, meta)
            assert meta.get("ai_generated") is False, (nid, meta)
            assert source_type(meta) not in (IPTC_AI, IPTC_COMPOSITE_AI), (nid, meta)
            checked[nid] = checked.get(nid, 0) + 1
    ran = {n["id"] for n in nodes} - {"video", "audio", "words"}
    assert set(checked) == ran, ran - set(checked)
