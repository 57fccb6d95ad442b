"""The NodeContext a task runs with: media store access, progress, cancel, child processes."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import shutil
import signal
import subprocess
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..core.context import Provenance
from ..core.errors import Canceled, ImageTooLarge, NodeFailed
from ..core.file_names import output_file_name
from ..core.media_limits import DEFAULT_MEDIA_LIMITS, MediaLimits, check_media, check_picture
from ..core.ports import MediaRecord, NodeTask
from ..core.values import MediaKind, MediaRef, decode_value
from ..runtimes.media.content_credentials import SIGNABLE, Claim, ContentSigner, CredentialsError, Ingredient
from ..runtimes.media.probe import NotMedia, ProbeResult, probe
from ..runtimes.media.provenance import png_info
from ..runtimes.media.url_fetch import fetch_to_file
from ..runtimes.processes import children, kill_group
from ..store.media_store import MediaStore, new_storage_key
from .write_behind import WriteBehind

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)


class OutputSigning(Protocol):
    """Where the signer for outputs' Content Credentials comes from (services.content_signing)."""

    def signer(self) -> ContentSigner: ...


class MediaResolver(Protocol):
    def resolve(self, media_id: str, user_id: str) -> MediaRef:
        """The media if ``user_id`` may read it; raises MediaNotFound otherwise."""


@dataclass(frozen=True)
class FetchPolicy:
    """How nodes may fetch URLs (recipe inputs given as links)."""

    allow_private: bool = False
    max_bytes: int = 1 << 30
    timeout: float = 60.0  # seconds for the whole download, not per read


#: Smaller images are encoded at once: their PNG costs less than handing it to another thread.
WRITE_BEHIND_MIN_PIXELS = 256 * 256
#: What the image memo may hold: enough for the intermediate images of a few runs of small graphs
#: (≈ 40 images of 512 px RGB), small enough that the server's memory returns close to idle after work.
MEMO_BYTES = 32 * 1024 * 1024


def _image_bytes(img: Image.Image) -> int:
    return img.width * img.height * max(1, len(img.getbands()))


class ImageMemo:
    """Recently made or read images by media id, so chains of image nodes skip decoding; bounded
    by the bytes it holds (least recently used go first), and an image over a quarter of it is never kept."""

    def __init__(self, max_bytes: int = MEMO_BYTES) -> None:
        self._items: OrderedDict[str, Image.Image] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, media_id: str) -> Image.Image | None:
        with self._lock:
            img = self._items.get(media_id)
            if img is not None:
                self._items.move_to_end(media_id)
            return img

    def put(self, media_id: str, img: Image.Image) -> None:
        size = _image_bytes(img)
        if size > self._max // 4:
            return
        with self._lock:
            if media_id in self._items:
                return
            self._items[media_id] = img
            self._bytes += size
            while self._bytes > self._max and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= _image_bytes(old)


#: Ingredient formats the C2PA library reads (others are left out of a manifest).
_INGREDIENT_MIMES = frozenset({*SIGNABLE, "image/gif", "image/tiff", "image/avif", "image/heic", "video/quicktime",
                               "audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp4", "audio/flac"})


def _media_refs(value: Any) -> Iterator[MediaRef]:
    if isinstance(value, MediaRef):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _media_refs(item)


class TaskContext:
    """Implements :class:`miniaistudio.core.context.NodeContext` for one task."""

    def __init__(
        self,
        task: NodeTask,
        *,
        store: MediaStore,
        resolver: MediaResolver,
        scratch_root: Path,
        cancel_event: threading.Event,
        on_progress: Callable[[float, str | None], None],
        memo: ImageMemo | None = None,
        fetch_policy: FetchPolicy | None = None,
        media_limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
        models: object | None = None,
        write_behind: WriteBehind | None = None,
        signing: OutputSigning | None = None,
    ) -> None:
        self.task = task
        self._write_behind = write_behind
        self.pending_writes: list[tuple[int, Future[int]]] = []  # (index in media, its write) not yet done
        self._signing = signing
        self.signed = 0  # outputs signed so far
        self._read: dict[str, MediaRef] = {}  # media this task read: the ingredients of what it writes
        self._models = models
        self._media_limits = media_limits
        self.run_id = task.run_id
        self.session_id = task.session_id
        self.node_id = task.node_id
        self.user_id = task.user_id
        self._store = store
        self._resolver = resolver
        self._scratch_root = scratch_root
        self._scratch: Path | None = None
        self._cancel = cancel_event
        self._on_progress = on_progress
        self._memo = memo
        self._fetch_policy = fetch_policy or FetchPolicy()
        self._procs: set[subprocess.Popen[str]] = set()
        self._procs_lock = threading.Lock()
        self.media: list[MediaRecord] = []

    @property
    def models(self) -> object | None:
        return self._models

    # -- cancel and progress --------------------------------------------------
    @property
    def canceled(self) -> bool:
        return self._cancel.is_set()

    def check_canceled(self) -> None:
        if self._cancel.is_set():
            raise Canceled("canceled by user")

    def progress(self, fraction: float, message: str | None = None) -> None:
        self._on_progress(fraction, message)

    def kill_processes(self) -> None:
        """Called from the canceling thread: end child processes at once."""
        with self._procs_lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    # -- media in --------------------------------------------------------------
    def resolve_media(self, media_id: str) -> MediaRef:
        return self._noted(self._resolver.resolve(media_id, self.user_id))

    def _noted(self, ref: MediaRef) -> MediaRef:
        self._read.setdefault(ref.media_id, ref)
        return ref

    def fetch_url(self, url: str, kind: MediaKind) -> MediaRef:
        dest = self.work_path(".download")
        final = fetch_to_file(url, dest, max_bytes=self._fetch_policy.max_bytes,
                              allow_private=self._fetch_policy.allow_private, timeout=self._fetch_policy.timeout)
        try:
            info = probe(dest, self._media_limits)
        except NotMedia as exc:
            raise NodeFailed(f"the URL did not give usable media: {exc}", code="INPUT_INVALID") from exc
        # not signed: the studio did not make it (an edit of it names it as an unsigned ingredient)
        return self._store_probed(dest, info, kind, Provenance(engine="url-fetch", source_url=final), sign=False)

    def _check_input(self, ref: MediaRef) -> None:
        """Refuse input media whose recorded measurements exceed the limits, before touching its bytes."""
        check_media(ref.kind, ref.width, ref.height, ref.duration, None, self._media_limits,
                    what=f"input media {ref.media_id}")

    def media_path(self, ref: MediaRef) -> AbstractContextManager[Path]:
        self._check_input(ref)
        self._noted(ref)
        self._wait_written(ref)
        return self._store.local_path(ref.storage_key)

    def load_image(self, ref: MediaRef) -> Image.Image:
        from PIL import Image, ImageOps

        self._noted(ref)
        if self._memo is not None:
            cached = self._memo.get(ref.media_id)
            if cached is not None:
                return cached.copy()
        if ref.kind != "image":
            raise NodeFailed(f"expected an image, got {ref.kind}", code="INPUT_INVALID")
        self._check_input(ref)
        self._wait_written(ref)
        try:
            with self._store.local_path(ref.storage_key) as path, Image.open(path) as raw:
                # the header, not the record, is what decoding will allocate for
                check_picture(raw.width, raw.height, self._media_limits, what=f"input image {ref.media_id}")
                img = ImageOps.exif_transpose(raw)
                img.load()
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(f"input image {ref.media_id} has more than {Image.MAX_IMAGE_PIXELS} pixels "
                                "(setting max_image_pixels)", details={"max_pixels": Image.MAX_IMAGE_PIXELS}) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # FileNotFoundError included: the file is gone from the store
            raise NodeFailed(f"input image {ref.media_id} cannot be decoded ({type(exc).__name__})",
                             code="INPUT_INVALID") from exc
        if self._memo is not None:
            self._memo.put(ref.media_id, img)
            return img.copy()
        return img

    # -- media out -------------------------------------------------------------
    def save_image(self, image: Image.Image, provenance: Provenance, *, fmt: str = "PNG") -> MediaRef:
        fmt = fmt.upper()
        if fmt == "PNG" and self._write_behind is not None and image.width * image.height > WRITE_BEHIND_MIN_PIXELS:
            return self._save_png_behind(image, provenance)
        buf = io.BytesIO()
        if fmt == "PNG":
            image.save(buf, "PNG", pnginfo=png_info(self._full_provenance(provenance)), compress_level=3)
            mime, ext = "image/png", "png"
        elif fmt in ("JPEG", "JPG"):
            image.convert("RGB").save(buf, "JPEG", quality=92)
            mime, ext = "image/jpeg", "jpg"
        elif fmt == "WEBP":
            image.save(buf, "WEBP", quality=90)
            mime, ext = "image/webp", "webp"
        else:
            raise NodeFailed(f"unsupported image format {fmt}", code="INPUT_INVALID")
        media_id, key = new_storage_key(ext)
        full = self._full_provenance(provenance)
        data = self._credentials_bytes(buf.getvalue(), mime, media_id, ext, full)
        size = self._store.put_bytes(key, data)
        ref = MediaRef(media_id=media_id, kind="image", mime=mime, storage_key=key,
                       width=image.width, height=image.height)
        self.media.append(MediaRecord(
            id=media_id, kind="image", mime=mime, storage_key=key, size_bytes=size,
            filename=output_file_name(self.task.title or self.task.node_type, media_id, ext),
            width=image.width, height=image.height,
            codecs={"mode": image.mode}, metadata=full,
        ))
        if self._memo is not None:
            self._memo.put(media_id, image)
        return ref

    def _save_png_behind(self, image: Image.Image, provenance: Provenance) -> MediaRef:
        """The same PNG with the same provenance, encoded and written on the write-behind threads: the
        image goes to the memo now (readers start at once), the record's size is filled in by
        :meth:`finish_writes`. The node must not change ``image`` afterwards (the memo holds it already)."""
        assert self._write_behind is not None
        media_id, key = new_storage_key("png")
        meta = self._full_provenance(provenance)
        info = png_info(meta)
        claim = self._claim(media_id, "png", "image/png", meta) if self._signing is not None else None

        def encode() -> bytes:
            buf = io.BytesIO()
            image.save(buf, "PNG", pnginfo=info, compress_level=3)
            # signed here too, off the node's path; ingredients still being written are waited for (FIFO:
            # they were submitted first, so they are running or done)
            return self._signed_bytes(buf.getvalue(), "image/png", claim)

        if self._memo is not None:
            self._memo.put(media_id, image)
        self.pending_writes.append((len(self.media), self._write_behind.submit(media_id, key, encode)))
        self.media.append(MediaRecord(
            id=media_id, kind="image", mime="image/png", storage_key=key, size_bytes=0,
            filename=output_file_name(self.task.title or self.task.node_type, media_id, "png"),
            width=image.width, height=image.height, codecs={"mode": image.mode}, metadata=meta,
        ))
        return MediaRef(media_id=media_id, kind="image", mime="image/png", storage_key=key,
                        width=image.width, height=image.height)

    def finish_writes(self, sizes: list[int]) -> list[MediaRecord]:
        """The task's media records once its pending writes answered ``sizes`` (in order)."""
        for (index, _), size in zip(self.pending_writes, sizes, strict=True):
            self.media[index] = replace(self.media[index], size_bytes=size)
        self.pending_writes = []
        return self.media

    def _wait_written(self, ref: MediaRef) -> None:
        """An input still being written behind is waited for before its file is read."""
        if self._write_behind is not None:
            try:
                self._write_behind.wait_for(ref.media_id)
            except Exception as exc:
                raise NodeFailed(f"input media {ref.media_id} could not be written ({type(exc).__name__})",
                                 code="INPUT_INVALID") from exc

    def work_path(self, suffix: str) -> Path:
        if self._scratch is None:
            self._scratch = self._scratch_root / self.task.task_id
            self._scratch.mkdir(parents=True, exist_ok=True)
        return self._scratch / f"{uuid.uuid4().hex}{suffix}"

    def store_file(self, path: Path, kind: MediaKind, provenance: Provenance) -> MediaRef:
        try:
            info = probe(path)
        except NotMedia as exc:
            raise NodeFailed(f"the node produced an unreadable file: {exc}", code="OUTPUT_INVALID") from exc
        return self._store_probed(path, info, kind, provenance)

    def _store_probed(self, path: Path, info: ProbeResult, kind: MediaKind, provenance: Provenance, *,
                      sign: bool = True) -> MediaRef:
        if info.kind != kind:
            raise NodeFailed(f"the node produced {info.kind}, expected {kind}", code="OUTPUT_INVALID")
        media_id, key = new_storage_key(info.ext)
        meta = self._full_provenance(provenance)
        if sign:
            path = self._credentials_file(path, info.mime, media_id, info.ext, meta)
        size = self._store.put_file(key, path)
        self.media.append(MediaRecord(
            id=media_id, kind=info.kind, mime=info.mime, storage_key=key, size_bytes=size,
            filename=output_file_name(self.task.title or self.task.node_type, media_id, info.ext),
            width=info.width, height=info.height,
            duration=info.duration, codecs=info.codecs, metadata=meta,
        ))
        return MediaRef(media_id=media_id, kind=info.kind, mime=info.mime,
                        storage_key=key, width=info.width, height=info.height, duration=info.duration)

    # -- content credentials -----------------------------------------------------
    def _claim(self, media_id: str, ext: str, mime: str, provenance: dict[str, Any]) -> Claim:
        """What the output's manifest says: its provenance, and the media it was made from."""
        refs = dict(self._read)
        for value in self.task.inputs.values():
            for ref in _media_refs(decode_value(value)):
                refs.setdefault(ref.media_id, ref)
        kind = mime.split("/")[0]
        readable = [r for r in refs.values() if r.media_id != media_id and r.mime in _INGREDIENT_MIMES]
        parent = next((r.media_id for r in readable if r.kind == kind), readable[0].media_id if readable else None)
        ingredients = tuple(Ingredient(r.media_id, r.mime, r.storage_key.rsplit("/", 1)[-1],
                                       functools.partial(self._open_written, r), r.media_id == parent)
                            for r in readable)
        return Claim(title=f"{media_id}.{ext}", provenance=provenance, ingredients=ingredients, media_id=media_id)

    def _open_written(self, ref: MediaRef) -> IO[bytes]:
        self._wait_written(ref)
        return self._store.open(ref.storage_key)

    def _credentials_bytes(self, data: bytes, mime: str, media_id: str, ext: str, meta: dict[str, Any]) -> bytes:
        if self._signing is None or mime not in SIGNABLE:
            return data
        return self._signed_bytes(data, mime, self._claim(media_id, ext, mime, meta))

    def _signed_bytes(self, data: bytes, mime: str, claim: Claim | None) -> bytes:
        if self._signing is None or claim is None:
            return data
        media_id = claim.media_id
        try:
            signed = self._signing.signer().sign_bytes(data, mime, claim)
        except (CredentialsError, NodeFailed, OSError) as exc:  # unsigned beats a lost output
            log.warning("output %s of node %s left unsigned: %s", media_id, self.node_id, exc)
            return data
        self.signed += 1
        return signed

    def _credentials_file(self, path: Path, mime: str, media_id: str, ext: str, meta: dict[str, Any]) -> Path:
        if self._signing is None or mime not in SIGNABLE:
            return path
        signed = self.work_path(f".{ext}")
        try:
            self._signing.signer().sign_file(path, signed, mime, self._claim(media_id, ext, mime, meta))
        except (CredentialsError, OSError) as exc:
            log.warning("output %s of node %s left unsigned: %s", media_id, self.node_id, exc)
            signed.unlink(missing_ok=True)
            return path
        self.signed += 1
        return signed

    def _full_provenance(self, provenance: Provenance) -> dict[str, Any]:
        """The node's provenance with where it ran; ``ai_generated`` is false unless the node says a model
        made the output (the provenance rule of docs/architecture.md)."""
        return {"node_type": self.task.node_type, "node_id": self.node_id, "run_id": self.run_id,
                "ai_generated": False, **provenance}

    # -- processes -------------------------------------------------------------
    def run_process(
        self,
        argv: Sequence[str],
        *,
        on_stderr_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        self.check_canceled()
        proc = children.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace")
        with self._procs_lock:
            self._procs.add(proc)
        stderr_lines: list[str] = []
        try:
            if self._cancel.is_set():
                self.kill_processes()
            out_chunks: list[str] = []
            reader = threading.Thread(
                target=lambda: out_chunks.append(proc.stdout.read() if proc.stdout else ""), daemon=True
            )
            reader.start()
            assert proc.stderr is not None
            for line in proc.stderr:
                stderr_lines.append(line)
                if len(stderr_lines) > 400:
                    del stderr_lines[:200]
                if on_stderr_line is not None:
                    on_stderr_line(line.rstrip("\n"))
            proc.wait(timeout=timeout)
            reader.join(timeout=5)
        except subprocess.TimeoutExpired as exc:
            self.kill_processes()
            raise NodeFailed(f"{Path(argv[0]).name} took longer than {timeout} s", code="TIMEOUT") from exc
        finally:
            if proc.poll() is None:  # an error while reading: the child must not outlive the call
                kill_group(proc.pid)
                proc.wait()
            with self._procs_lock:
                self._procs.discard(proc)
            children.done(proc)
        self.check_canceled()
        return subprocess.CompletedProcess(list(argv), proc.returncode, "".join(out_chunks),
                                           "".join(stderr_lines))

    def cleanup(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    @contextmanager
    def scope(self) -> Iterator[TaskContext]:
        try:
            yield self
        finally:
            self.cleanup()
