"""Measurements of talking-avatar videos, made outside the studio (ffmpeg, ffprobe, mediapipe directly)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from conftest import FIXTURES, Api, edge, node

GRACE = FIXTURES / "grace_hopper.jpg"  # 512x600, one front-facing face
ASTRONAUT = FIXTURES / "astronaut.png"  # 512x512, one face
COFFEE = FIXTURES / "coffee.png"  # a cup: no face
# Pearson r between the mouth opening measured on the output frames and the speech loudness of
# the same frames. The engine drives the jaw by viseme shape x loudness, so a working lip sync
# lands around 0.6-0.8 (consonant closures such as M/B/P keep the mouth shut while loud, which
# caps it); a frozen mouth, or one animated out of step with the audio, scores about 0. With
# ~150 frames, r = 0.45 is far beyond chance (p < 1e-8) and leaves margin under the measured values.
MIN_LOUDNESS_CORRELATION = 0.45
FPS = 25
SENTENCE = "Hello there. My name is Grace, and I wrote the first compiler. Computers speak many languages today."


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    return await api.run(session["id"])


def speaking_graph(portrait_id: str, *avatars: dict[str, Any], tts: dict[str, Any] | None = None
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Text -> Text to Speech -> each talking-avatar node, all with the uploaded portrait."""
    nodes = [node("t", "text", text=SENTENCE), node("tts", "audio.tts", **(tts or {"variation": 0.0})),
             node("photo", "upload.image", media_ids=[portrait_id]), *avatars]
    edges = [edge("t", "text", "tts", "text")]
    for avatar in avatars:
        edges += [edge("photo", "image", avatar["id"], "portrait"), edge("tts", "audio", avatar["id"], "speech")]
    return nodes, edges


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


def decode_frames(path: Path) -> NDArray[np.uint8]:
    """Every video frame, RGB (N x H x W x 3)."""
    info = ffprobe(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    w, h = int(video["width"]), int(video["height"])
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w, 3)


def decode_audio(path: Path, rate: int = 16000) -> NDArray[np.float32]:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
                          "-ar", str(rate), "-f", "s16le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def loudness_per_frame(samples: NDArray[np.float32], count: int, fps: float, rate: int = 16000) -> NDArray[np.float64]:
    """RMS over each frame's own time span."""
    out = np.zeros(count)
    for i in range(count):
        a, b = int(i / fps * rate), int((i + 1) / fps * rate)
        chunk = samples[a:b].astype(np.float64)
        out[i] = float(np.sqrt((chunk ** 2).mean())) if len(chunk) else 0.0
    return out


def mouth_openings(frames: NDArray[np.uint8]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per frame, the inner-lip gap (landmarks 13-14) over the face height (10-152), measured by
    mediapipe face mesh on the output frames; and the face box (x0, y0, x1, y1) of the first frame."""
    import mediapipe as mp

    openings = np.full(len(frames), np.nan)
    box = np.zeros(4)
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True) as mesh:
        for i, frame in enumerate(frames):
            result = mesh.process(np.ascontiguousarray(frame))
            if not result.multi_face_landmarks:
                continue
            h, w = frame.shape[:2]
            pts = np.array([[lm.x * w, lm.y * h] for lm in result.multi_face_landmarks[0].landmark])
            openings[i] = np.linalg.norm(pts[13] - pts[14]) / np.linalg.norm(pts[10] - pts[152])
            if i == 0:
                box = np.concatenate([pts[:468].min(axis=0), pts[:468].max(axis=0)])
    return openings, box


def outside_box_mask(shape: tuple[int, int], box: NDArray[np.float64], grow: float) -> NDArray[np.bool_]:
    """True outside the face box grown by ``grow`` of its size on each side (downwards twice as much: the chin
    and neck move with the jaw)."""
    h, w = shape
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    mask = np.ones((h, w), dtype=bool)
    mask[max(0, int(y0 - grow * bh)):min(h, int(y1 + 2 * grow * bh)),
         max(0, int(x0 - grow * bw)):min(w, int(x1 + grow * bw))] = False
    return mask


def tiny_wav2lip(path: Path) -> Path:
    """Wav2Lip's interface: ``mel`` [B,1,80,16] and ``vid`` [B,6,96,96] in, a [B,3,96,96] face out
    (here: the reference half of ``vid``, brightened by the mean of ``mel``)."""
    import onnx
    from onnx import TensorProto, helper

    def const(name: str, values: list[int] | list[float], dtype: int) -> Any:
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, dtype, [len(values)], values))

    nodes = [const("starts", [3], TensorProto.INT64), const("ends", [6], TensorProto.INT64),
             const("axes", [1], TensorProto.INT64), const("scale", [0.05], TensorProto.FLOAT),
             helper.make_node("Slice", ["vid", "starts", "ends", "axes"], ["reference"]),
             helper.make_node("ReduceMean", ["mel"], ["level"], keepdims=1),
             helper.make_node("Mul", ["level", "scale"], ["lift"]),
             helper.make_node("Add", ["reference", "lift"], ["raw"]),
             helper.make_node("Clip", ["raw"], ["out"])]
    graph = helper.make_graph(
        nodes, "tiny_wav2lip",
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["B", 1, 80, 16]),
         helper.make_tensor_value_info("vid", TensorProto.FLOAT, ["B", 6, 96, 96])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["B", 3, 96, 96])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path
