"""Scratch: per-task work folders, partial uploads and zips being built, under ``<data dir>/scratch``.

Everything in it belongs to a live task or request. At start-up no run is live (runs left
``running`` are marked interrupted first), so whatever is there was orphaned by a crash.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def clear_orphans(scratch: Path) -> int:
    """Remove every entry of ``scratch`` (call only when nothing can own one); returns how many."""
    removed = 0
    if not scratch.is_dir():
        return 0
    for entry in list(scratch.iterdir()):
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError as exc:
            log.warning("could not remove %s from scratch: %s", entry.name, exc)
    return removed
