"""Everything the studio writes is for the studio's user alone: files 0600, folders 0700.

The root fix is the process umask (077), set before the first file is made, so every writer
(SQLite and its -wal/-shm, the media store, scratch, model imports, child processes such as
ffmpeg) gets private modes without each one remembering to ask. Folders made by an older
version keep their looser modes, so start-up tightens the top of the data tree: other local
users cannot enter it, whatever the modes of the files below.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def restrict_umask() -> None:
    """From now on this process (and its children) create files 0600 and folders 0700."""
    os.umask(PRIVATE_UMASK)


def tighten(dirs: Iterable[Path]) -> None:
    """Make existing ``dirs`` 0700 and the files directly inside them 0600 (our own only)."""
    for folder in dirs:
        _chmod(folder, PRIVATE_DIR)
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.is_symlink():
                    continue
                if entry.is_file():
                    _chmod(entry, PRIVATE_FILE)
                elif entry.is_dir():
                    _chmod(entry, PRIVATE_DIR)


def _chmod(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
        if info.st_uid == os.geteuid() and not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & ~mode:
            path.chmod(mode)
    except OSError as exc:
        log.warning("could not restrict the mode of %s: %s", path, exc)
