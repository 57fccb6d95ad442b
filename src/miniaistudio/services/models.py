"""The model manager: the models directory and its registry (import, pull, list, remove, LoRAs).

Every model lives under ``<models dir>/<kind>/<id>/`` (a pipeline folder, or one file kept
with its original name) and has a database row with its size, sha256 and defaults. What a model
is comes from :mod:`.model_files` (detected from its bytes); Hub downloads from :mod:`.model_hub`.

Nothing here imports torch: the CLI stays fast and the server's idle memory small.
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..core.errors import InvalidRequest, NotFound
from ..runtimes.models.model_host import LoraNotFound, ModelInfo, ResolvedLora
from ..store.db import Database
from ..store.tables import AiModel
from .model_files import KINDS, check_confined, copy_hashing, detect, hash_file, slugify, tree_sha256
from .model_hub import ModelHubUnreachable, download_snapshot, hub_offline_env

#: A model's price per generation (a 32-bit column; node prices have the same bound).
MAX_CREDITS_PER_GENERATION = 10**9

__all__ = ["ImportedModel", "InstalledModel", "ModelLibrary", "ModelNotFound", "ResolvedLora"]

log = logging.getLogger(__name__)


class ModelNotFound(NotFound):
    code = "MODEL_NOT_FOUND"


@dataclass(frozen=True)
class InstalledModel:
    """A registry entry as the library lists it: ``path`` is inside the models dir, ``installed`` says
    whether its files are still there."""

    id: str
    display_name: str
    kind: str
    format: str
    path: str
    filename: str
    size_bytes: int
    sha256: str
    default_params: dict[str, Any]
    credits_per_generation: int
    source: str | None
    installed: bool
    created_at: datetime | None


@dataclass(frozen=True)
class ImportedModel(InstalledModel):
    detected: dict[str, Any]  # what detection found in the files (pipeline class, architecture, tensors)


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

    def entry(self, info: ModelInfo, created_at: datetime | None = None) -> InstalledModel:
        return InstalledModel(
            id=info.id, display_name=info.display_name, kind=info.kind, format=info.format,
            path=str(info.path.relative_to(self.models_dir)), filename=info.path.name, size_bytes=info.size_bytes,
            sha256=info.sha256, default_params=info.default_params,
            credits_per_generation=info.credits_per_generation, source=info.source,
            installed=info.path.exists(), created_at=created_at,
        )

    def installed(self, kind: str | None = None) -> list[InstalledModel]:
        with self.db.session() as s:
            stmt = select(AiModel).order_by(AiModel.created_at, AiModel.id)
            if kind:
                stmt = stmt.where(AiModel.kind == kind)
            return [self.entry(self._info(row), row.created_at) for row in s.scalars(stmt)]

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
    ) -> ImportedModel:
        """Copy (or move) a model folder or file into the models dir and register it.

        ``confine_to`` (the API's import folders): every file must really live inside them.
        """
        if not 0 <= credits_per_generation <= MAX_CREDITS_PER_GENERATION:
            raise InvalidRequest(f"credits_per_generation is a whole number from 0 to {MAX_CREDITS_PER_GENERATION}")
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
                files[single.name] = copy_hashing(single, staging / single.name)
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
                        files[rel] = hash_file(staging / rel)
                    else:
                        files[rel] = copy_hashing(path, staging / rel)
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
        return ImportedModel(**vars(self.entry(self._info(row), row.created_at)), detected=found.details)

    def remove(self, model_id: str) -> InstalledModel:
        with self.db.session() as s:
            row = s.get(AiModel, model_id)
            if row is None:
                raise ModelNotFound(f"no installed model with id {model_id!r}; see `miniaistudio models list`")
            info = self._info(row)
            s.delete(row)
        folder = self.models_dir / Path(row.path).parts[0] / Path(row.path).parts[1]
        if folder.is_dir() and self.models_dir in folder.resolve().parents:
            shutil.rmtree(folder, ignore_errors=True)
        return self.entry(info)

    def pull(self, repo_id: str, *, kind: str | None = None, name: str | None = None,
             revision: str | None = None) -> ImportedModel:
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
        staging = self.models_dir / ".incoming" / f"pull-{uuid.uuid4().hex}"
        download_snapshot(repo_id, revision, staging, advice)
        return self.import_path(staging, kind=kind, name=name or repo_id.split("/")[-1], origin=repo_id,
                                move=True)

    # -- LoRAs --------------------------------------------------------------------
    def loras(self) -> list[InstalledModel]:
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
