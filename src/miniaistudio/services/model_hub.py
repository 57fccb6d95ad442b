"""Pulling models from the Hugging Face Hub, and telling "offline" apart from real failures.

This machine may have no route to the Hub: every failure says which, with the offline way
(copy the folder, then ``miniaistudio models import PATH``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.errors import NotFound, StudioError
from ..runtimes.packages import require_package


class ModelHubUnreachable(StudioError):
    code, status = "MODEL_HUB_UNREACHABLE", 503


class ModelRepoNotFound(NotFound):
    code = "MODEL_REPO_NOT_FOUND"


def download_snapshot(repo_id: str, revision: str | None, staging: Path, advice: str) -> None:
    """Download ``repo_id`` into ``staging`` (removed again on failure)."""
    hub = require_package("huggingface_hub", "huggingface_hub", "huggingface_hub (to pull models)",
                          code="TOOL_MISSING")
    hub_errors = require_package("huggingface_hub.errors", "huggingface_hub", "huggingface_hub (to pull models)",
                                 code="TOOL_MISSING")
    try:
        hub.snapshot_download(repo_id, revision=revision, local_dir=staging)
    except (hub_errors.RepositoryNotFoundError, hub_errors.GatedRepoError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelRepoNotFound(f"the Hugging Face Hub has no accessible repo {repo_id!r}",
                                details={"repo_id": repo_id}) from exc
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if _is_offline_error(exc):
            raise ModelHubUnreachable(
                f"cannot download {repo_id}: the Hugging Face Hub is unreachable from this machine "
                f"({type(exc).__name__}); {advice}",
                details={"repo_id": repo_id, "reason": type(exc).__name__}) from exc
        raise StudioError(f"downloading {repo_id} failed: {exc}", code="MODEL_PULL_FAILED", status=502,
                          details={"repo_id": repo_id}) from exc


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
