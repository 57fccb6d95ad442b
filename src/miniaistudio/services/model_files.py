"""Model files: what a model folder or file is (detected from its bytes, never its name), hashing,
and where the API may import from (the configured import folders, no links out of them).

- ``model_index.json`` → a diffusers pipeline; its ``_class_name`` decides the kind;
- ``config.json`` with ``architectures`` → a transformers model (DPT → depth, Swin2SR → upscaler, ...);
- ``*.safetensors`` whose tensor names are LoRA factors → a LoRA (the header is read, not the weights);
- ``*.gguf`` → an LLM; ``*.onnx`` needs an explicit kind.

Nothing here imports torch or touches the database.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InvalidRequest

KINDS = ("text_to_image", "image_edit", "inpaint", "upscaler", "image_to_video", "text_to_video",
         "depth", "lora", "llm", "voice", "speech_to_text", "segmentation", "face_restoration", "lip_sync",
         "other")
FORMATS = ("diffusers", "safetensors", "gguf", "onnx", "transformers")
WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx")
_LORA_MARKERS = ("lora_A", "lora_B", "lora_up", "lora_down", "lora.up", "lora.down", "lora_te", "lora_unet")

TRANSFORMERS_KINDS: dict[str, str] = {
    "DPTForDepthEstimation": "depth",
    "DepthAnythingForDepthEstimation": "depth",
    "GLPNForDepthEstimation": "depth",
    "ZoeDepthForDepthEstimation": "depth",
    "Swin2SRForImageSuperResolution": "upscaler",
    "WhisperForConditionalGeneration": "speech_to_text",
    "VitsModel": "voice",
    "SpeechT5ForTextToSpeech": "voice",
}


@dataclass(frozen=True)
class Detected:
    kind: str
    format: str
    weight_file: Path | None  # set when the model is one file (inside ``source`` if a folder)
    details: dict[str, Any]


# --------------------------------------------------------------------------- detection
def diffusers_kind(class_name: str) -> str:
    """The kind of a diffusers pipeline from its ``model_index.json`` ``_class_name``."""
    name = class_name
    if "Inpaint" in name:
        return "inpaint"
    if "Upscale" in name or "SuperResolution" in name:
        return "upscaler"
    if "Marigold" in name and "Depth" in name:
        return "depth"
    if "ImageToVideo" in name or "I2V" in name or "StableVideoDiffusion" in name:
        return "image_to_video"
    if "Video" in name:
        return "text_to_video"
    if any(m in name for m in ("InstructPix2Pix", "Edit", "Img2Img", "Kontext")):
        return "image_edit"
    return "text_to_image"


def safetensors_keys(path: Path) -> list[str]:
    """Tensor names from a .safetensors header (8-byte length + JSON), without loading weights."""
    with path.open("rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise InvalidRequest(f"{path.name} is not a safetensors file", code="MODEL_FORMAT_UNKNOWN")
        (length,) = struct.unpack("<Q", raw)
        if length > 100 * 2**20:
            raise InvalidRequest(f"{path.name} has an implausible header", code="MODEL_FORMAT_UNKNOWN")
        try:
            header = json.loads(fh.read(length))
        except ValueError as exc:
            raise InvalidRequest(f"{path.name} is not a safetensors file", code="MODEL_FORMAT_UNKNOWN") from exc
    return [k for k in header if k != "__metadata__"]


def _detect_file(path: Path) -> Detected:
    suffix = path.suffix.lower()
    if suffix == ".gguf":
        return Detected("llm", "gguf", path, {})
    if suffix == ".onnx":
        return Detected("other", "onnx", path, {})
    if suffix == ".safetensors":
        keys = safetensors_keys(path)
        if any(marker in k for k in keys for marker in _LORA_MARKERS):
            return Detected("lora", "safetensors", path, {"tensors": len(keys)})
        if any(k.startswith(("model.diffusion_model.", "first_stage_model.")) for k in keys):
            return Detected("text_to_image", "safetensors", path, {"tensors": len(keys)})
        return Detected("other", "safetensors", path, {"tensors": len(keys)})
    raise InvalidRequest(f"cannot tell what {path.name} is (expected a model folder, .safetensors, "
                         ".gguf or .onnx)", code="MODEL_FORMAT_UNKNOWN")


def detect(source: Path) -> Detected:
    """Format and kind of a model folder or file."""
    if source.is_file():
        return _detect_file(source)
    if not source.is_dir():
        raise InvalidRequest(f"{source.name} does not exist", code="MODEL_PATH_NOT_FOUND")
    index = source / "model_index.json"
    if index.is_file():
        class_name = str(json.loads(index.read_text()).get("_class_name", ""))
        return Detected(diffusers_kind(class_name), "diffusers", None, {"pipeline": class_name})
    config = source / "config.json"
    if config.is_file():
        data = json.loads(config.read_text())
        archs = [str(a) for a in data.get("architectures") or []]
        for arch in archs:
            if arch in TRANSFORMERS_KINDS:
                return Detected(TRANSFORMERS_KINDS[arch], "transformers", None, {"architecture": arch})
            if arch.endswith(("ForCausalLM", "ForConditionalGeneration")):
                return Detected("llm", "transformers", None, {"architecture": arch})
        return Detected("other", "transformers", None, {"architecture": archs[0] if archs else None})
    weights = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in WEIGHT_SUFFIXES)
    if len(weights) == 1:
        return _detect_file(weights[0])
    raise InvalidRequest(f"cannot tell what {source.name} is: no model_index.json or config.json, and "
                         f"{len(weights)} weight files", code="MODEL_FORMAT_UNKNOWN")


# --------------------------------------------------------------------------- hashing
def copy_hashing(src: Path, dst: Path) -> str:
    digest = hashlib.sha256()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(4 * 2**20):
            digest.update(chunk)
            fout.write(chunk)
    shutil.copystat(src, dst)
    return digest.hexdigest()


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(4 * 2**20):
            digest.update(chunk)
    return digest.hexdigest()


def tree_sha256(files: dict[str, str]) -> str:
    """A folder's hash: sha256 over sorted ``relative/path\\0<file sha256>\\n`` lines."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{files[rel]}\n".encode())
    return digest.hexdigest()


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:48].strip("-") or "model"


def allowed_import_path(raw: str, roots: list[Path]) -> Path:
    """A path sent over HTTP, accepted only inside the configured import folders.

    Symlinks are followed to their real target, which must stay inside an import folder too;
    :func:`check_confined` repeats the check for every file of a folder being imported.
    """
    try:
        path = Path(raw).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        path = Path("/")
    if not _inside(path, roots):
        raise _not_allowed(roots)
    try:
        return check_confined(path.resolve(strict=True), roots)
    except FileNotFoundError:
        raise InvalidRequest(f"{Path(raw).name} does not exist in the import folders",
                             code="MODEL_PATH_NOT_FOUND") from None


def check_confined(source: Path, roots: list[Path]) -> Path:
    """``source`` itself and, for a folder, every entry in it resolve inside ``roots``.

    A symlink in an import folder that points elsewhere (``weights.bin -> /etc/shadow``) would
    otherwise copy a server file into the models dir: refused with PATH_NOT_ALLOWED.
    """
    entries = [source, *source.rglob("*")] if source.is_dir() else [source]
    for entry in entries:
        if entry is source or entry.is_symlink():
            try:
                target = entry.resolve(strict=True)
            except (OSError, RuntimeError):
                raise _not_allowed(roots, f" ({entry.name} is a broken or looping link)") from None
            if not _inside(target, roots):
                raise _not_allowed(roots, f" ({entry.name} links outside them)")
    return source


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def _not_allowed(roots: list[Path], why: str = "") -> InvalidRequest:
    return InvalidRequest(
        f"the API imports models only from the configured import folders{why}; put the files there "
        "(or set MINIAI_MODEL_IMPORT_DIRS), or use `miniaistudio models import PATH` on the server",
        code="PATH_NOT_ALLOWED", details={"import_folders": [r.name for r in roots]})


# --------------------------------------------------------------------------- the import folders' contents
@dataclass(frozen=True)
class ImportCandidate:
    """A folder or file at the top of an import folder, and what it was found to be (or why not)."""

    path: str
    name: str
    folder: str  # the import folder's own name
    kind: str | None
    format: str | None
    size_bytes: int
    problem: str | None


#: A listing stops after this many entries (an import folder is for a handful of models).
MAX_CANDIDATES = 200


def import_candidates(roots: list[Path]) -> list[ImportCandidate]:
    """What the Models page offers to import: each entry at the top of each import folder, with its kind."""
    found: list[ImportCandidate] = []
    for root in roots:
        if not root.is_dir():
            continue
        for entry in sorted(root.iterdir(), key=lambda p: p.name.lower()):
            if entry.name.startswith(".") or len(found) >= MAX_CANDIDATES:
                continue
            found.append(_candidate(entry, root, roots))
    return found


def _candidate(entry: Path, root: Path, roots: list[Path]) -> ImportCandidate:
    kind: str | None = None
    fmt: str | None = None
    problem: str | None = None
    try:
        check_confined(entry, roots)
        detected = detect(entry)
        kind, fmt = detected.kind, detected.format
    except InvalidRequest as exc:
        problem = exc.message
    except (OSError, ValueError) as exc:  # unreadable, or a model_index.json that is not JSON
        problem = f"cannot read {entry.name}: {type(exc).__name__}"
    return ImportCandidate(path=str(entry), name=entry.name, folder=root.name, kind=kind, format=fmt,
                           size_bytes=_size(entry), problem=problem)


def _size(entry: Path) -> int:
    try:
        if entry.is_file():
            return entry.stat().st_size
        return sum(p.stat().st_size for p in entry.rglob("*") if p.is_file() and not p.is_symlink())
    except OSError:
        return 0
