"""The model manager: the models directory and its registry (import, pull, list, remove, LoRAs).

Every model lives under ``<models dir>/<kind>/<id>/`` (a pipeline folder, or one file kept
with its original name) and has a database row with its size, sha256 and defaults. The format
and kind are detected from the files themselves, never from the name:

- ``model_index.json`` → a diffusers pipeline; its ``_class_name`` decides the kind;
- ``config.json`` with ``architectures`` → a transformers model (DPT → depth, Swin2SR → upscaler, ...);
- ``*.safetensors`` whose tensor names are LoRA factors → a LoRA (the header is read, not the weights);
- ``*.gguf`` → an LLM; ``*.onnx`` needs an explicit kind.

Nothing here imports torch: the CLI stays fast and the server's idle memory small.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..core.errors import InvalidRequest, NotFound, StudioError
from ..runtimes.models.model_host import LoraNotFound, ModelInfo, ResolvedLora
from ..runtimes.packages import require_package
from ..store.db import Database
from ..store.tables import AiModel

log = logging.getLogger(__name__)

KINDS = ("text_to_image", "image_edit", "inpaint", "upscaler", "image_to_video", "text_to_video",
         "depth", "lora", "llm", "voice", "speech_to_text", "segmentation", "other")
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


class ModelHubUnreachable(StudioError):
    code, status = "MODEL_HUB_UNREACHABLE", 503


class ModelNotFound(NotFound):
    code = "MODEL_NOT_FOUND"


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
def _copy_hashing(src: Path, dst: Path) -> str:
    digest = hashlib.sha256()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(4 * 2**20):
            digest.update(chunk)
            fout.write(chunk)
    shutil.copystat(src, dst)
    return digest.hexdigest()


def _hash_file(path: Path) -> str:
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


def _is_offline_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if isinstance(current, (ConnectionError, TimeoutError)) or any(
            word in name for word in ("Connect", "Timeout", "Offline", "LocalEntryNotFound", "NetworkError")
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def hub_offline_env() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------- the library
class ModelLibrary:
    """The registry of installed models; also the :class:`ModelCatalog` nodes resolve through."""

    def __init__(self, db: Database, models_dir: Path) -> None:
        self.db = db
        self.models_dir = models_dir

    # -- reading ------------------------------------------------------------------
    def _info(self, row: AiModel) -> ModelInfo:
        return ModelInfo(id=row.id, display_name=row.display_name, kind=row.kind, format=row.format,
                         path=self.models_dir / row.path, size_bytes=row.size_bytes, sha256=row.sha256,
                         default_params=dict(row.default_params or {}),
                         credits_per_generation=row.credits_per_generation, source=row.source)

    def public(self, info: ModelInfo, created_at: datetime | None = None) -> dict[str, Any]:
        return {
            "id": info.id, "display_name": info.display_name, "kind": info.kind, "format": info.format,
            "path": str(info.path.relative_to(self.models_dir)), "size_bytes": info.size_bytes,
            "sha256": info.sha256, "default_params": info.default_params,
            "credits_per_generation": info.credits_per_generation, "source": info.source,
            "filename": info.path.name, "installed": info.path.exists(),
            "created_at": created_at.isoformat() if created_at else None,
        }

    def installed(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(AiModel).order_by(AiModel.created_at, AiModel.id)
            if kind:
                stmt = stmt.where(AiModel.kind == kind)
            return [self.public(self._info(row), row.created_at) for row in s.scalars(stmt)]

    def get(self, model_id: str) -> ModelInfo:
        with self.db.session() as s:
            row = s.get(AiModel, model_id)
            if row is None:
                raise ModelNotFound(f"no installed model with id {model_id!r}")
            return self._info(row)

    def find(self, ref: str) -> ModelInfo | None:
        ref = ref.strip()
        if not ref:
            return None
        with self.db.session() as s:
            row = s.get(AiModel, ref)
            if row is not None:
                return self._info(row)
            rows = list(s.scalars(select(AiModel).order_by(AiModel.created_at)))
        lowered = ref.lower()
        keys: list[Callable[[AiModel], set[str]]] = [
            lambda r: {r.display_name.lower()},
            lambda r: {(r.source or "").lower()},
            lambda r: {Path(r.path).name.lower(), Path(r.path).stem.lower()},
        ]
        for key in keys:
            for row in rows:
                if lowered in key(row):
                    return self._info(row)
        return None

    def first_of_kind(self, kinds: Iterable[str]) -> ModelInfo | None:
        with self.db.session() as s:
            for kind in kinds:
                row = s.scalars(select(AiModel).where(AiModel.kind == kind)
                                .order_by(AiModel.created_at, AiModel.id).limit(1)).first()
                if row is not None:
                    return self._info(row)
        return None

    def models_of_kind(self, kind: str) -> list[ModelInfo]:
        with self.db.session() as s:
            rows = s.scalars(select(AiModel).where(AiModel.kind == kind).order_by(AiModel.created_at, AiModel.id))
            return [self._info(row) for row in rows]

    # -- installing ---------------------------------------------------------------
    def _new_id(self, name: str) -> str:
        base = slugify(name)
        with self.db.session() as s:
            taken = set(s.scalars(select(AiModel.id).where(AiModel.id.like(f"{base}%"))))
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    def import_path(
        self,
        source: Path,
        *,
        kind: str | None = None,
        name: str | None = None,
        default_params: dict[str, Any] | None = None,
        credits_per_generation: int = 0,
        origin: str | None = None,
        move: bool = False,
        confine_to: list[Path] | None = None,
    ) -> dict[str, Any]:
        """Copy (or move) a model folder or file into the models dir and register it.

        ``confine_to`` (the API's import folders): every file must really live inside them.
        """
        source = source.expanduser().resolve()
        if confine_to is not None:
            check_confined(source, confine_to)
        if kind is not None and kind not in KINDS:
            raise InvalidRequest(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", code="MODEL_KIND_UNKNOWN")
        found = detect(source)
        final_kind = kind or found.kind
        if final_kind == "other" and kind is None:
            raise InvalidRequest(f"cannot tell what kind of model {source.name} is; pass --kind "
                                 f"({', '.join(KINDS)})", code="MODEL_KIND_UNKNOWN", details=found.details)
        single = found.weight_file
        label = name or (single.stem if single is not None and source.is_file() else source.name)
        model_id = self._new_id(label)
        target_dir = self.models_dir / final_kind / model_id
        staging = self.models_dir / ".incoming" / uuid.uuid4().hex
        staging.mkdir(parents=True)
        try:
            files: dict[str, str] = {}
            if single is not None:
                files[single.name] = _copy_hashing(single, staging / single.name)
                sha = files[single.name]
                rel_inside = single.name
            else:
                for path in sorted(p for p in source.rglob("*") if p.is_file()):
                    rel = path.relative_to(source).as_posix()
                    if rel.startswith(".cache/") or rel.startswith(".git/"):
                        continue
                    if move:
                        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(str(path), staging / rel)
                        files[rel] = _hash_file(staging / rel)
                    else:
                        files[rel] = _copy_hashing(path, staging / rel)
                sha = tree_sha256(files)
                rel_inside = ""
            size = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
            target_dir.parent.mkdir(parents=True, exist_ok=True)
            if target_dir.exists():
                shutil.rmtree(target_dir)
            staging.rename(target_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if move and source.is_dir():
            shutil.rmtree(source, ignore_errors=True)
        rel_path = (Path(final_kind) / model_id / rel_inside).as_posix().rstrip("/")
        row = AiModel(id=model_id, display_name=name or label, kind=final_kind, format=found.format,
                      path=rel_path, size_bytes=size, sha256=sha, default_params=default_params or {},
                      credits_per_generation=credits_per_generation, source=origin)
        with self.db.session() as s:
            s.add(row)
        log.info("imported %s model %s (%s, %d bytes)", final_kind, model_id, found.format, size)
        return {**self.public(self._info(row), row.created_at), "detected": found.details}

    def remove(self, model_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            row = s.get(AiModel, model_id)
            if row is None:
                raise ModelNotFound(f"no installed model with id {model_id!r}; see `miniaistudio models list`")
            info = self._info(row)
            s.delete(row)
        folder = self.models_dir / Path(row.path).parts[0] / Path(row.path).parts[1]
        if folder.is_dir() and self.models_dir in folder.resolve().parents:
            shutil.rmtree(folder, ignore_errors=True)
        return self.public(info)

    def pull(self, repo_id: str, *, kind: str | None = None, name: str | None = None,
             revision: str | None = None) -> dict[str, Any]:
        """Download a Hugging Face repo and import it; MODEL_HUB_UNREACHABLE when offline."""
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id):
            raise InvalidRequest(f"{repo_id!r} is not a Hugging Face repo id (owner/name)",
                                 code="MODEL_REPO_INVALID")
        advice = (f"copy the model folder to this machine and run `miniaistudio models import PATH`, "
                  f"or run `miniaistudio models pull {repo_id}` where the Hugging Face Hub is reachable")
        if hub_offline_env():
            raise ModelHubUnreachable(f"cannot download {repo_id}: HF_HUB_OFFLINE is set, so the Hugging Face "
                                      f"Hub is not contacted; {advice}",
                                      details={"repo_id": repo_id, "reason": "HF_HUB_OFFLINE"})
        hub = require_package("huggingface_hub", "huggingface_hub", "huggingface_hub (to pull models)",
                              code="TOOL_MISSING")
        hub_errors = require_package("huggingface_hub.errors", "huggingface_hub", "huggingface_hub (to pull models)",
                                     code="TOOL_MISSING")
        staging = self.models_dir / ".incoming" / f"pull-{uuid.uuid4().hex}"
        try:
            hub.snapshot_download(repo_id, revision=revision, local_dir=staging)
        except (hub_errors.RepositoryNotFoundError, hub_errors.GatedRepoError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelNotFound(f"the Hugging Face Hub has no accessible repo {repo_id!r}",
                                code="MODEL_REPO_NOT_FOUND", details={"repo_id": repo_id}) from exc
        except Exception as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if _is_offline_error(exc):
                raise ModelHubUnreachable(
                    f"cannot download {repo_id}: the Hugging Face Hub is unreachable from this machine "
                    f"({type(exc).__name__}); {advice}",
                    details={"repo_id": repo_id, "reason": type(exc).__name__}) from exc
            raise StudioError(f"downloading {repo_id} failed: {exc}", code="MODEL_PULL_FAILED", status=502,
                              details={"repo_id": repo_id}) from exc
        return self.import_path(staging, kind=kind, name=name or repo_id.split("/")[-1], origin=repo_id,
                                move=True)

    # -- LoRAs --------------------------------------------------------------------
    def loras(self) -> list[dict[str, Any]]:
        return self.installed(kind="lora")

    def resolve_loras(self, chain: list[tuple[str, float]], *, by_filename: bool = False) -> list[ResolvedLora]:
        """Ordered LoRAs with weights; every unknown name is reported at once (LORA_NOT_FOUND)."""
        with self.db.session() as s:
            rows = list(s.scalars(select(AiModel).where(AiModel.kind == "lora").order_by(AiModel.created_at)))
        resolved: list[ResolvedLora] = []
        missing: list[str] = []
        for ref, weight in chain:
            row = _match_lora(rows, ref, by_filename=by_filename)
            if row is None:
                missing.append(ref)
                continue
            path = self.models_dir / row.path
            resolved.append(ResolvedLora(row.id, row.display_name, path.name, path, weight, row.sha256))
        if missing:
            what = "file names" if by_filename else "ids or names"
            raise LoraNotFound(f"no installed LoRA matches these {what}: {', '.join(repr(m) for m in missing)}; "
                               "see GET /api/v2/loras or `miniaistudio models list --kind lora`",
                               details={"missing": missing})
        return resolved


def _match_lora(rows: list[AiModel], ref: str, *, by_filename: bool) -> AiModel | None:
    ref = ref.strip()
    lowered = ref.lower()
    if by_filename:
        base = Path(lowered).name
        for row in rows:
            name = Path(row.path).name.lower()
            if base in (name, Path(name).stem):
                return row
        return None
    for row in rows:
        if row.id == ref:
            return row
    for row in rows:
        if row.display_name.lower() == lowered:
            return row
    return None


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
