"""Face restoration with an installed ONNX model (GFPGAN / CodeFormer / RestoreFormer exports).

Such a model takes an aligned 512x512 face (RGB, NCHW float32 scaled to -1..1) and returns the
restored face in the same layout; CodeFormer exports take a second input, the fidelity weight.
Faces are found with mediapipe face mesh; five points (eye centres, nose tip, mouth corners)
are aligned to the FFHQ template these models were trained on (the template of facexlib,
which GFPGAN and CodeFormer use) with a similarity transform; the restored face is warped
back and blended under a feathered mask.

The model is installed like any other (``miniaistudio models import gfpgan.onnx --kind
face_restoration``); the ONNX session stays warm in the host's cache, shared by callers
(onnxruntime sessions are thread-safe).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import NodeFailed
from .model_cache import ModelCache, path_bytes
from .model_host import ModelInfo
from .vision import face_landmarks, require

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KIND = "face_restoration"
FACE_SIZE = 512
# facexlib's FFHQ 512 template: left eye, right eye, nose tip, left and right mouth corners (image left first).
FFHQ_TEMPLATE = ((192.98138, 239.94708), (318.90277, 240.1936), (256.63416, 314.01935),
                 (201.26117, 371.41043), (313.08905, 371.15118))
# face-mesh landmarks: iris centres (refine_landmarks) 468 / 473, nose tip 1, mouth corners 61 / 291.
MESH_POINTS = (468, 473, 1, 61, 291)
MAX_FACES = 8
MIN_FACE_PX = 24  # inter-ocular distance below which a face is too small to restore
FIDELITY = 0.7  # CodeFormer's weight: 0 = most restoration, 1 = closest to the input


def model_file(info: ModelInfo) -> Path:
    """The .onnx file of an installed face-restoration model (a file, or a folder with one)."""
    if info.format != "onnx":
        raise NodeFailed(f"model {info.id!r} ({info.format}) is not an ONNX face-restoration model",
                         code="MODEL_FORMAT_UNSUPPORTED", details={"model": info.id, "format": info.format})
    if info.path.is_file():
        return info.path
    files = sorted(info.path.rglob("*.onnx"))
    if len(files) != 1:
        raise NodeFailed(f"model {info.id!r} should hold one .onnx file, found {len(files)}",
                         code="MODEL_LOAD_FAILED", details={"model": info.id})
    return files[0]


def _session(path: Path) -> tuple[Any, int]:
    ort = require("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        raise NodeFailed(f"the face-restoration model {path.name} could not be loaded: {exc}",
                         code="MODEL_LOAD_FAILED") from exc
    shape = session.get_inputs()[0].shape
    if len(shape) != 4 or (shape[1] != 3 and not isinstance(shape[1], str)):
        raise NodeFailed(f"{path.name} does not take a 1x3x{FACE_SIZE}x{FACE_SIZE} face (input {shape})",
                         code="MODEL_LOAD_FAILED")
    return session, path_bytes(path)


def restore_faces(rgb: NDArray[np.uint8], info: ModelInfo, *, cache: ModelCache) -> tuple[NDArray[np.uint8], int]:
    """The photo with every face found restored by the model, and how many faces were restored."""
    path = model_file(info)
    faces = [pts for pts in face_landmarks(rgb, MAX_FACES, cache=cache) if _eye_distance(pts) >= MIN_FACE_PX]
    if not faces:
        return rgb, 0
    out = rgb.copy()
    with cache.lease(f"face-restore:onnx:{info.id}:{info.sha256[:12]}", lambda: _session(path),
                     estimate_bytes=path_bytes(path)) as lease:
        for pts in faces:
            out = _restore_one(lease.value, out, pts)
    return out, len(faces)


def _eye_distance(pts: NDArray[np.float32]) -> float:
    import numpy as np

    return float(np.linalg.norm(pts[MESH_POINTS[0], :2] - pts[MESH_POINTS[1], :2]))


def _restore_one(session: Any, rgb: NDArray[np.uint8], pts: NDArray[np.float32]) -> NDArray[np.uint8]:
    import numpy as np

    cv2 = require("cv2")
    src = np.array([pts[i, :2] for i in MESH_POINTS], np.float32)
    if src[0, 0] > src[1, 0]:  # keep the template's order: image-left eye first
        src[[0, 1]] = src[[1, 0]]
        src[[3, 4]] = src[[4, 3]]
    matrix, _ = cv2.estimateAffinePartial2D(src, np.array(FFHQ_TEMPLATE, np.float32), method=cv2.LMEDS)
    if matrix is None:
        return rgb
    face = cv2.warpAffine(rgb, matrix, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT101)
    restored = _run(session, face)
    h, w = rgb.shape[:2]
    inverse = cv2.invertAffineTransform(matrix)
    back = cv2.warpAffine(restored, inverse, (w, h), flags=cv2.INTER_LINEAR)
    inner = np.zeros((FACE_SIZE, FACE_SIZE), np.float32)
    margin = FACE_SIZE // 16
    inner[margin:-margin, margin:-margin] = 1.0
    inner = cv2.GaussianBlur(inner, (0, 0), FACE_SIZE / 32)
    alpha = cv2.warpAffine(inner, inverse, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    blended = rgb.astype(np.float32) * (1 - alpha) + back.astype(np.float32) * alpha
    out: NDArray[np.uint8] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


def _run(session: Any, face: NDArray[np.uint8]) -> NDArray[np.uint8]:
    import numpy as np

    tensor = ((face.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]
    inputs = session.get_inputs()
    feed: dict[str, Any] = {inputs[0].name: tensor}
    for extra in inputs[1:]:  # CodeFormer: the fidelity weight
        dtype = np.float64 if "double" in extra.type else np.float32
        feed[extra.name] = np.array([FIDELITY] if extra.shape else FIDELITY, dtype=dtype)
    result = session.run(None, feed)[0]
    arr = np.asarray(result, np.float32)
    if arr.ndim != 4 or arr.shape[1] != 3:
        raise NodeFailed(f"the face-restoration model answered a {list(arr.shape)} tensor, not 1x3xHxW",
                         code="MODEL_OUTPUT_INVALID")
    img = (arr[0].transpose(1, 2, 0).clip(-1, 1) + 1) * 127.5
    if img.shape[:2] != (FACE_SIZE, FACE_SIZE):
        img = require("cv2").resize(img, (FACE_SIZE, FACE_SIZE), interpolation=require("cv2").INTER_LANCZOS4)
    out: NDArray[np.uint8] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return out
