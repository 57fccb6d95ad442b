"""A neural lip-sync model on top of the classical talking head, when one is installed.

Format: a **Wav2Lip ONNX export** imported as kind ``lip_sync``
(``miniaistudio models import wav2lip_gan.onnx --kind lip_sync``): inputs ``mel`` ``[B, 1, 80, 16]``
(log-mel, 16 kHz, hop 200, 80 bands, scaled to [-4, 4]) and ``vid`` ``[B, 6, 96, 96]`` (the face with
its lower half blanked, then the reference face; RGB in [0, 1]); output ``[B, 3, 96, 96]`` in [0, 1].
The model repaints the lower half of the (already animated) face per frame; the result is pasted
back with a feathered mask and labelled AI-generated. No such weights are reachable offline, so
``engine="auto"`` runs the classical engine alone unless one has been imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...core.context import NodeContext
from ...core.errors import NodeFailed
from ..models.model_host import ModelInfo, host_of
from ..models.vision import require

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KIND = "lip_sync"
ENGINE = "wav2lip-onnx"
FACE = 96
MEL_STEP = 16  # mel frames per window
MEL_PER_SECOND = 80.0  # 16 kHz / hop 200


def choose(ctx: NodeContext, engine: str, model: str) -> NeuralLipSync | None:
    """The neural refiner the node's choice asks for: none for ``classical``; for ``auto`` the model
    when one is installed; for ``neural`` the model or MODEL_NOT_INSTALLED."""
    if engine == "classical":
        return None
    host = host_of(ctx)
    if engine == "auto" and not model and host.catalog.first_of_kind((KIND,)) is None:
        return None
    info = host.resolve(model, (KIND,))
    if info.format != "onnx":
        raise NodeFailed(f"model {info.id!r} is {info.format}; a lip_sync model must be a Wav2Lip ONNX export",
                         code="MODEL_FORMAT_UNSUPPORTED", details={"model": info.id, "format": info.format})
    return NeuralLipSync(info)


def _open_session(info: ModelInfo) -> tuple[Any, int]:
    ort = require("onnxruntime")
    path = info.path if info.path.is_file() else next(info.path.rglob("*.onnx"))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session, path.stat().st_size


@dataclass
class NeuralLipSync:
    info: ModelInfo
    engine: str = ENGINE
    _session: Any = None
    _mel: Any = None
    _reference: Any = None
    _box: tuple[int, int, int, int] = (0, 0, 0, 0)
    _mask: Any = field(default=None, repr=False)

    def refine(self, frame: NDArray[np.uint8], landmarks: NDArray[np.float32], samples: NDArray[np.float32],
               rate: int, seconds: float) -> NDArray[np.uint8]:
        cv2 = require("cv2")
        import numpy as np

        if self._session is None:
            self._session, _size = _open_session(self.info)
            self._mel = log_mel(samples, rate)
            self._box = _face_box(landmarks, frame.shape[1], frame.shape[0])
            x0, y0, x1, y1 = self._box
            self._reference = cv2.resize(frame[y0:y1, x0:x1], (FACE, FACE)).astype(np.float32) / 255.0
            soft = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
            soft[(y1 - y0) // 2:] = 1.0
            self._mask = cv2.GaussianBlur(soft, (0, 0), max(1.0, (y1 - y0) / 24))[:, :, None]
        x0, y0, x1, y1 = self._box
        face = cv2.resize(frame[y0:y1, x0:x1], (FACE, FACE)).astype(np.float32) / 255.0
        blanked = face.copy()
        blanked[FACE // 2:] = 0.0
        vid = np.concatenate([blanked, self._reference], axis=2).transpose(2, 0, 1)[None]
        start = int(seconds * MEL_PER_SECOND)
        window = self._mel[:, start:start + MEL_STEP]
        if window.shape[1] < MEL_STEP:
            window = np.pad(window, ((0, 0), (0, MEL_STEP - window.shape[1])), mode="edge")
        mel = window[None, None].astype(np.float32)
        names = [i.name for i in self._session.get_inputs()]
        feeds = dict(zip(names, (mel, vid.astype(np.float32)), strict=True))
        out = np.asarray(self._session.run(None, feeds)[0])[0].transpose(1, 2, 0)
        painted = cv2.resize(np.clip(out, 0, 1) * 255.0, (x1 - x0, y1 - y0)).astype(np.float32)
        result = frame.copy()
        region = result[y0:y1, x0:x1].astype(np.float32)
        result[y0:y1, x0:x1] = np.clip(region * (1 - self._mask) + painted * self._mask + 0.5, 0, 255).astype(np.uint8)
        return result


def _face_box(landmarks: NDArray[np.float32], width: int, height: int) -> tuple[int, int, int, int]:
    import numpy as np

    pts = landmarks[:, :2]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    side = float(max(hi - lo)) * 1.1
    cx, cy = (lo + hi) / 2
    x0 = int(np.clip(cx - side / 2, 0, width - 2))
    y0 = int(np.clip(cy - side / 2, 0, height - 2))
    return x0, y0, int(min(x0 + side, width)), int(min(y0 + side, height))


def log_mel(samples: NDArray[np.float32], rate: int) -> NDArray[np.float32]:
    """Wav2Lip's spectrogram: pre-emphasis 0.97, STFT 800/200, 80 Slaney mel bands 55-7600 Hz,
    20*log10 - 20 dB, normalised to [-4, 4]. ``rate`` must be 16 kHz (the node resamples)."""
    import numpy as np

    n_fft, hop = 800, 200
    x = np.append(samples[:1], samples[1:] - 0.97 * samples[:-1]).astype(np.float64)
    x = np.pad(x, (n_fft // 2, n_fft // 2), mode="reflect")
    count = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(count)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft + 1)[:-1], axis=1)).T  # (bins, frames)
    mel = _mel_filters(rate, n_fft, 80, 55.0, 7600.0) @ spec
    db = 20 * np.log10(np.maximum(1e-5, mel)) - 20
    scaled: NDArray[np.float32] = np.clip(8 * ((db + 100) / 100) - 4, -4, 4).astype(np.float32)
    return scaled


def _mel_filters(rate: int, n_fft: int, bands: int, fmin: float, fmax: float) -> NDArray[np.float64]:
    import numpy as np

    def to_mel(f: Any) -> Any:
        f = np.asarray(f, dtype=np.float64)
        lin = f / (200.0 / 3)
        return np.where(f >= 1000, 15 + np.log(np.maximum(f, 1e-9) / 1000) / (math.log(6.4) / 27), lin)

    def to_hz(m: Any) -> Any:
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= 15, 1000 * np.exp((math.log(6.4) / 27) * (m - 15)), m * (200.0 / 3))

    freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(fmin), to_mel(fmax), bands + 2))
    weights = np.zeros((bands, len(freqs)))
    for b in range(bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        weights[b] = np.maximum(0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
        weights[b] *= 2.0 / (hi - lo)
    return weights
