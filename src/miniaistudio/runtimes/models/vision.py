"""mediapipe and OpenCV helpers of the vision nodes: pose, face mesh, person and object masks.

Only ``mediapipe==0.10.21`` works offline here (its wheel carries the models); of its
solutions the studio uses ``pose`` with ``model_complexity=1`` (0 and 2 try to download),
``face_mesh`` (``refine_landmarks=True``) and ``selfie_segmentation``. The object/product
cut-out runs ``u2netp.onnx`` with onnxruntime (see :mod:`.vision_assets`).

Heavy libraries are imported inside functions: this module is imported by node modules at
start-up. mediapipe graphs and the ONNX session stay warm in the host's
:class:`~.model_cache.ModelCache`, one entry per configuration, sized by the model files they
load. mediapipe graphs are not thread-safe: one caller at a time uses a graph (the entry's run
lock), and a graph whose call failed is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import ToolMissing
from ..packages import require_package
from .model_cache import ModelCache, path_bytes

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

    from ...core.context import NodeContext, Provenance

# import name -> (pip requirement, what it is)
PACKAGES = {
    "mediapipe": ("mediapipe==0.10.21", "mediapipe"),
    "cv2": ("opencv-python-headless", "OpenCV"),
    "numpy": ("'numpy<2'", "numpy"),
    "onnxruntime": ("onnxruntime", "onnxruntime"),
}

# mediapipe pose landmark names, index = landmark id.
POSE_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)


def require(module: str) -> Any:
    """Import an optional library of the vision nodes, or raise ToolMissing with the command that installs it."""
    name = module.split(".")[0]
    pip_name, purpose = PACKAGES.get(name, (name, name))
    return require_package(module, pip_name, purpose)


def mp_solutions() -> Any:
    mp = require("mediapipe")
    solutions = getattr(mp, "solutions", None)
    if solutions is None:
        pip_name = PACKAGES["mediapipe"][0]
        raise ToolMissing("this mediapipe has no mp.solutions (it ships no models); "
                          f"install it with: pip install {pip_name}", code="PACKAGE_MISSING",
                          details={"package": pip_name, "install": f"pip install {pip_name}"})
    return solutions


def rgb_array(image: Image.Image) -> NDArray[np.uint8]:
    """An HxWx3 uint8 RGB array (alpha dropped, palette converted)."""
    import numpy as np

    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


# -- warm mediapipe graphs -----------------------------------------------------------------------

# The model files (inside the mediapipe wheel, under mediapipe/modules) each graph loads.
POSE_FILES = ("pose_detection/pose_detection.tflite", "pose_landmark/pose_landmark_full.tflite")
FACE_MESH_FILES = ("face_detection/face_detection_short_range.tflite",
                   "face_landmark/face_landmark_with_attention.tflite")
SELFIE_FILES = ("selfie_segmentation/selfie_segmentation.tflite",)
FACE_DETECTION_FILES = ("face_detection/face_detection_full_range_sparse.tflite",)


def _modules_bytes(files: tuple[str, ...]) -> int:
    root = Path(require("mediapipe").__file__).parent / "modules"
    return sum(path_bytes(root / name) for name in files)


def _close(graph: Any) -> None:
    graph.close()


@contextmanager
def _warm_graph(cache: ModelCache, key: str, make: Callable[[], Any], files: tuple[str, ...]) -> Iterator[Any]:
    """The warm graph ``key``, held by this caller alone; dropped if the call fails (it may be in a bad state)."""
    size = _modules_bytes(files)
    with cache.lease(f"vision:mediapipe:{key}", lambda: (make(), size), estimate_bytes=size,
                     close=_close) as lease, lease.run_lock:
        try:
            yield lease.value
        except BaseException:
            lease.discard()
            raise


def _face_mesh(max_faces: int, *, static: bool) -> Any:
    return mp_solutions().face_mesh.FaceMesh(static_image_mode=static, max_num_faces=max_faces,
                                             refine_landmarks=True, min_detection_confidence=0.5,
                                             min_tracking_confidence=0.5)


@contextmanager
def tracking_face_mesh(max_faces: int) -> Iterator[Any]:
    """A FaceMesh that tracks landmarks from frame to frame (video); it keeps state, so it is never shared."""
    mesh = _face_mesh(max_faces, static=False)
    try:
        yield mesh
    finally:
        mesh.close()


# -- pose -----------------------------------------------------------------------------------------

@dataclass
class Pose:
    """33 mediapipe landmarks in pixels: columns x, y, z (pixels, relative depth), visibility."""

    points: NDArray[np.float32]
    width: int
    height: int

    def named(self, min_visibility: float = 0.0) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for name, (x, y, z, v) in zip(POSE_NAMES, self.points.tolist(), strict=True):
            if v >= min_visibility:
                out[name] = {"x": round(x, 2), "y": round(y, 2), "z": round(z, 2), "visibility": round(v, 3)}
        return out


def detect_pose(rgb: NDArray[np.uint8], min_confidence: float = 0.5, *, cache: ModelCache) -> Pose | None:
    """The most prominent person's pose (mediapipe pose, ``model_complexity=1``), or None."""
    import numpy as np

    def make() -> Any:
        return mp_solutions().pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False,
                                        min_detection_confidence=min_confidence)

    h, w = rgb.shape[:2]
    with _warm_graph(cache, f"pose@{round(min_confidence, 3)}", make, POSE_FILES) as pose:
        result = pose.process(rgb)
    if result.pose_landmarks is None:
        return None
    pts = np.array([[lm.x * w, lm.y * h, lm.z * w, lm.visibility] for lm in result.pose_landmarks.landmark],
                   dtype=np.float32)
    return Pose(pts, w, h)


# -- faces ----------------------------------------------------------------------------------------

def face_landmarks(rgb: NDArray[np.uint8], max_faces: int = 4, *, cache: ModelCache) -> list[NDArray[np.float32]]:
    """478 face-mesh landmarks per face in pixels (x, y, z), faces ordered left to right."""
    h, w = rgb.shape[:2]
    with _warm_graph(cache, f"face_mesh@{max_faces}", lambda: _face_mesh(max_faces, static=True),
                     FACE_MESH_FILES) as mesh:
        result = mesh.process(rgb)
    return sort_faces(_mesh_points(result, w, h))


def face_boxes(rgb: NDArray[np.uint8], min_confidence: float = 0.5, *,
               cache: ModelCache) -> list[tuple[float, float, float, float, float]]:
    """Faces as (x, y, width, height, score) in pixels, by mediapipe face detection's full-range
    model (finds faces down to a few percent of the picture, where face mesh's detector stops)."""
    h, w = rgb.shape[:2]

    def make() -> Any:
        return mp_solutions().face_detection.FaceDetection(model_selection=1,
                                                           min_detection_confidence=min_confidence)

    with _warm_graph(cache, f"face_detection@{round(min_confidence, 3)}", make, FACE_DETECTION_FILES) as det:
        result = det.process(rgb)
    boxes = []
    for d in result.detections or []:
        box = d.location_data.relative_bounding_box
        boxes.append((box.xmin * w, box.ymin * h, box.width * w, box.height * h, float(d.score[0])))
    return boxes


def _mesh_points(result: Any, w: int, h: int) -> list[NDArray[np.float32]]:
    import numpy as np

    faces: list[NDArray[np.float32]] = []
    for face in result.multi_face_landmarks or []:
        faces.append(np.array([[lm.x * w, lm.y * h, lm.z * w] for lm in face.landmark], dtype=np.float32))
    return faces


def face_landmarks_tracked(mesh: Any, rgb: NDArray[np.uint8]) -> list[NDArray[np.float32]]:
    """Landmarks from a tracking (non-static) FaceMesh, in mediapipe's own order."""
    h, w = rgb.shape[:2]
    return _mesh_points(mesh.process(rgb), w, h)


def sort_faces(faces: list[NDArray[np.float32]]) -> list[NDArray[np.float32]]:
    """Stable face numbering: left to right by the center of the landmarks."""
    return sorted(faces, key=lambda pts: float(pts[:, 0].mean()))


# -- masks ----------------------------------------------------------------------------------------

def person_mask(rgb: NDArray[np.uint8], *, cache: ModelCache) -> NDArray[np.float32]:
    """Soft person mask in [0, 1] from mediapipe selfie segmentation (general model)."""
    import numpy as np

    def make() -> Any:
        return mp_solutions().selfie_segmentation.SelfieSegmentation(model_selection=0)

    with _warm_graph(cache, "selfie", make, SELFIE_FILES) as seg:
        result = seg.process(rgb)
    mask = result.segmentation_mask
    if mask is None:
        return np.zeros(rgb.shape[:2], dtype=np.float32)
    out: NDArray[np.float32] = np.clip(mask.astype(np.float32), 0.0, 1.0)
    return out


def _ort_session(model: Path) -> tuple[Any, int]:
    ort = require("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    return session, path_bytes(model)


def object_mask(rgb: NDArray[np.uint8], model: Path, *, cache: ModelCache) -> NDArray[np.float32]:
    """Salient-object mask in [0, 1] from U^2-Net small (u2netp.onnx), at the image's size.

    Pre- and post-processing as in rembg: 320x320 input, ImageNet normalisation of
    ``img / max(img)``, first output min-max normalised. The ONNX session is thread-safe:
    concurrent callers share the warm one.
    """
    cv2 = require("cv2")
    with cache.lease(f"vision:onnx:{model.name}", lambda: _ort_session(model),
                     estimate_bytes=path_bytes(model)) as lease:
        return _u2net_mask(lease.value, rgb, cv2)


def _u2net_mask(session: Any, rgb: NDArray[np.uint8], cv2: Any) -> NDArray[np.float32]:
    import numpy as np

    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (320, 320), interpolation=cv2.INTER_LANCZOS4).astype(np.float32)
    small /= max(float(small.max()), 1e-6)
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    tensor = ((small - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
    name = session.get_inputs()[0].name
    pred = session.run(None, {name: tensor})[0][:, 0, :, :][0]
    lo, hi = float(pred.min()), float(pred.max())
    pred = (pred - lo) / max(hi - lo, 1e-6)
    mask = cv2.resize(pred.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    out: NDArray[np.float32] = np.clip(mask, 0.0, 1.0).astype(np.float32)
    return out


# -- video frames in and out ------------------------------------------------------------------

@dataclass
class VideoInfo:
    fps: float
    frames: int
    width: int
    height: int


def open_video(path: Path) -> tuple[Any, VideoInfo]:
    """An OpenCV capture of ``path`` (decoded by OpenCV's FFmpeg) and its fps, frame count and size."""
    from ...core.errors import NodeFailed

    cv2 = require("cv2")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise NodeFailed("OpenCV could not open the video", code="INPUT_INVALID")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    info = VideoInfo(fps if fps > 0 else 25.0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
                     int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    return cap, info


def iter_frames(cap: Any) -> Iterator[NDArray[np.uint8]]:
    """RGB frames of an OpenCV capture, released at the end."""
    cv2 = require("cv2")
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


class FrameWriter:
    """Writes RGB frames to a lossless intermediate file (FFV1 in Matroska) for ffmpeg.

    The final encode (libx264 + the source's audio) is :func:`encode_frames`.
    """

    def __init__(self, path: Path, fps: float, width: int, height: int) -> None:
        from ...core.errors import NodeFailed

        cv2 = require("cv2")
        self.path = path
        self.count = 0
        self._cv2 = cv2
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (width, height))
        if not self._writer.isOpened():
            raise NodeFailed("OpenCV could not open a video writer", code="OUTPUT_INVALID")

    def write(self, rgb: NDArray[np.uint8]) -> None:
        self._writer.write(self._cv2.cvtColor(rgb, self._cv2.COLOR_RGB2BGR))
        self.count += 1

    def close(self) -> None:
        self._writer.release()


def encode_frames(ctx: NodeContext, frames: Path, output: Path, *, fps: float, frame_count: int,
                  audio_from: Path | None, provenance: Provenance, crf: int = 18) -> None:
    """Encode an intermediate frames file to H.264 MP4, taking the audio of ``audio_from`` if any.

    The audio is stream-copied when MP4 can hold its codec, else re-encoded to AAC.
    """
    from ..media.ffmpeg import AAC_ARGS, EVEN_DIMENSIONS, H264_ARGS, MP4_AUDIO_CODECS, run_ffmpeg
    from ..media.probe import NotMedia, probe

    args = ["-r", f"{fps:.6f}", "-i", str(frames)]
    audio_codec: str | None = None
    if audio_from is not None:
        try:
            audio_codec = probe(audio_from).codecs.get("audio")
        except NotMedia:
            audio_codec = None
    if audio_codec is not None and audio_from is not None:
        args += ["-i", str(audio_from), "-map", "0:v:0", "-map", "1:a:0"]
    else:
        args += ["-map", "0:v:0"]
    args += ["-vf", EVEN_DIMENSIONS, *H264_ARGS, "-preset", "veryfast", "-crf", str(crf)]
    if audio_codec is not None:
        args += ["-c:a", "copy"] if audio_codec in MP4_AUDIO_CODECS else list(AAC_ARGS)
    args += ["-movflags", "+faststart"]
    run_ffmpeg(ctx, args, output, duration=frame_count / fps if fps else None, provenance=provenance)
