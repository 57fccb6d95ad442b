"""What a node's work may touch: the :class:`NodeContext` facade.

Nodes never reach services directly. Everything they need (media in and out, progress,
cancellation, child processes) goes through this protocol, so the same node code runs
in the in-process executor and on a remote worker.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .values import MediaKind, MediaRef

if TYPE_CHECKING:
    from PIL import Image


class Provenance(dict[str, Any]):
    """How an output was made: node type, engine, model, prompt, seed and parameters.

    Written into the file's own metadata and kept with the media record.
    """


class NodeContext(Protocol):
    run_id: str
    session_id: str
    node_id: str
    user_id: str

    @property
    def models(self) -> object | None:
        """The worker's model host (a ``runtimes.models.model_host.ModelHost``; None where models are not
        configured). Nodes read it through ``runtimes.models.model_host.host_of(ctx)``, which types it."""

    @property
    def canceled(self) -> bool: ...

    def check_canceled(self) -> None:
        """Raise :class:`~miniaistudio.core.errors.Canceled` if cancel or stop was asked."""

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report progress between 0 and 1; throttled before it reaches clients."""

    def resolve_media(self, media_id: str) -> MediaRef:
        """A media id chosen by the user (upload nodes), after the access check."""

    def fetch_url(self, url: str, kind: MediaKind) -> MediaRef:
        """Download a public http(s) URL into the gallery (private addresses are refused)."""

    def media_path(self, ref: MediaRef) -> AbstractContextManager[Path]:
        """A local, read-only path to the media's file for the duration of the block."""

    def load_image(self, ref: MediaRef) -> Image.Image: ...

    def save_image(
        self, image: Image.Image, provenance: Provenance, *, fmt: str = "PNG"
    ) -> MediaRef:
        """Store ``image`` with its provenance. The image is handed over: the node must not change it
        afterwards (the next nodes may read this very object, and its file may still be being written)."""
        ...

    def work_path(self, suffix: str) -> Path:
        """A fresh path in this task's scratch folder (removed when the task ends)."""

    def store_file(self, path: Path, kind: MediaKind, provenance: Provenance) -> MediaRef:
        """Probe a finished file, move it into the media store and record it."""

    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_stderr_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a child process that is killed when the node is canceled."""
