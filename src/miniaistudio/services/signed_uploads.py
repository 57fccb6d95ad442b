"""Signed uploads: one seam for every door that hands a client a URL to PUT a file to.

A door (Studii's ``POST /api/v1/uploads``, Miraflow's ``/api/media/initialize``) creates a pending
upload for an owner — a declared content type, an optional declared size, an expiry — and gets back an
object key and a signed token. The client PUTs
the bytes, with no auth header, to the neutral route of ``api/files/uploads.py``: the token (HMAC
under a key derived from the server secret for this purpose) is its credential, the same
Content-Type is required, one PUT only (pending → receiving → done with one conditional UPDATE each,
so two concurrent PUTs cannot both win), bytes streamed to disk under the studio's upload limit (and
the declared size), sniffed, and refused when they are not the declared type. The file becomes a
media row of the owner; ``resolve`` turns the object key back into it, for that owner only.

Pending uploads expire (``purge_expired``, run at start-up and, at most every
:data:`PURGE_INTERVAL_SECONDS`, when one is created: a burst of uploads costs one sweep); a failed
PUT puts the upload back to pending, so the client may try again until it expires. A door with a
finalize step (Miraflow) creates the upload with ``finalize=True``: its media id is promised up front
(the upload's id), and an upload not finalized within an hour of its URL's expiry goes with its media.

When the media store has presigned transfers (S3), ``create`` also hands out a presigned PUT at the bucket
(``direct_url``, under ``uploads/<object key>``; the Content-Type is signed), which doors give clients
instead of the studio's route, so the bytes never pass through an API process. The bucket checks the
signature and expiry; the studio checks the rest at first use (``resolve``) or finalize: it reads the
object back (size against the declared size and the upload limit, then sniffed type, as the PUT route
does), keeps it as the owner's media and deletes the staged object. Bytes that fail a check are refused
and the upload is spent; an upload whose bytes have not arrived yet stays pending.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ..core.errors import (
    InvalidRequest,
    MediaStoreUnavailable,
    SignedUrlExpired,
    StudioError,
    UploadAlreadyUsed,
    UploadNotFound,
    UploadNotReceived,
    UploadSizeMismatch,
    UploadTooLarge,
)
from ..core.policy import Principal, require_signed_link
from ..runtimes.media.probe import EXTENSIONS
from ..store.db import Database
from ..store.media_store import DirectTransfers, ObjectTooLarge
from ..store.tables import PendingUpload
from .derived_keys import derive_key
from .media import MediaItem, MediaLibrary, normalized_mime

PENDING, RECEIVING, DONE = "pending", "receiving", "done"
#: Seconds a signed upload URL stays valid (the Studii seed's ``expires_in``).
UPLOAD_TTL_SECONDS = 7200
MAX_FILENAME = 200
MAX_TOKEN = 200
MAX_OBJECT_KEY = 200
#: How long after its URL expires an upload with a finalize step may still be finalized.
FINALIZE_GRACE_SECONDS = 3600
#: At most one expiry sweep per this many seconds from ``create`` (the sweep scans the whole table).
PURGE_INTERVAL_SECONDS = 300.0


@dataclass(frozen=True)
class CreatedUpload:
    upload_id: str
    object_key: str
    token: str
    expires_in: int
    #: A presigned PUT at the media store (S3), which doors hand out instead of the studio's route.
    direct_url: str | None = None


@dataclass(frozen=True)
class UploadTicket:
    """A pending upload a valid token names: what the PUT must match."""

    upload_id: str
    owner_id: str
    object_key: str
    filename: str
    content_type: str
    declared_size: int | None


class SignedUploads:
    def __init__(self, db: Database, media: MediaLibrary, server_secret: str,
                 clock: Callable[[], float] = time.time, *, scratch: Path | None = None,
                 max_bytes: int = 4 * 1024**3) -> None:
        self.db = db
        self.media = media
        self._key = derive_key(server_secret, "signed-uploads")
        self.clock = clock
        self._last_purge: float | None = None
        self._purge_lock = threading.Lock()
        self.scratch = scratch or Path(tempfile.gettempdir())
        self.max_bytes = max_bytes

    @property
    def direct(self) -> DirectTransfers | None:
        return self.media.store.direct

    # -- creating --------------------------------------------------------------------------------
    def create(self, principal: Principal, *, filename: str, content_type: str, declared_size: int | None = None,
               ttl_seconds: int = UPLOAD_TTL_SECONDS, finalize: bool = False) -> CreatedUpload:
        """A pending upload of one file of ``content_type`` for the principal (``INVALID_REQUEST``
        naming the field for an unknown type, an empty name or a bad size)."""
        mime = normalized_mime(content_type)
        errors = []
        if mime not in EXTENSIONS:
            errors.append({"field": "content_type", "message": f"unsupported type {content_type[:100]!r}; one of "
                                                              f"{', '.join(sorted(EXTENSIONS))}"})
        name = filename.strip()
        if not name or len(name) > MAX_FILENAME:
            errors.append({"field": "filename", "message": f"1 to {MAX_FILENAME} characters"})
        if declared_size is not None and declared_size <= 0:
            errors.append({"field": "file_size", "message": "a positive number of bytes"})
        if errors:
            raise InvalidRequest(f"{errors[0]['field']}: {errors[0]['message']}", details={"errors": errors})
        self.purge_if_due()
        upload_id = str(uuid.uuid4())
        object_key = f"{principal.user_id}/{upload_id}.{EXTENSIONS[mime]}"
        now = datetime.fromtimestamp(self.clock(), UTC)
        expires = int(self.clock()) + ttl_seconds
        with self.db.session() as s:
            s.add(PendingUpload(id=upload_id, owner_id=principal.user_id, object_key=object_key, filename=name,
                                content_type=mime, declared_size=declared_size, status=PENDING, media_id=None,
                                created_at=now, expires_at=datetime.fromtimestamp(expires, UTC),
                                finalize_by=datetime.fromtimestamp(expires + FINALIZE_GRACE_SECONDS, UTC)
                                if finalize else None))
        direct_url = (self.direct.upload_url(staging_key(object_key), content_type=mime, ttl_seconds=ttl_seconds)
                      if self.direct is not None else None)
        return CreatedUpload(upload_id, object_key, self._token(upload_id, expires), ttl_seconds, direct_url)

    def _token(self, upload_id: str, expires: int) -> str:
        return f"{upload_id}.{expires}.{self._signature(upload_id, expires)}"

    def _signature(self, upload_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{upload_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    # -- receiving -------------------------------------------------------------------------------
    def check(self, token: str) -> UploadTicket:
        """The pending upload a token names: ``SIGNED_URL_INVALID`` (tampered, forged),
        ``SIGNED_URL_EXPIRED``, ``UPLOAD_ALREADY_USED``."""
        upload_id, _, rest = token.partition(".")
        expires_text, _, signature = rest.partition(".")
        expires = int(expires_text) if expires_text.isdigit() and len(expires_text) < 19 else -1
        valid = (len(token) <= MAX_TOKEN and expires >= 0
                 and hmac.compare_digest(self._signature(upload_id, expires), signature))
        require_signed_link(signature_valid=valid, expired=expires <= self.clock())
        with self.db.session() as s:
            row = s.get(PendingUpload, upload_id)
            if row is None:  # purged after it expired: the signature was ours, the upload is gone
                raise SignedUrlExpired("the upload URL has expired")
            if row.status != PENDING:
                raise UploadAlreadyUsed("this upload URL was already used; request a new one")
            return _ticket(row)

    def claim(self, ticket: UploadTicket) -> None:
        """pending → receiving, once: a second PUT (even a concurrent one) is refused."""
        with self.db.session() as s:
            done = s.execute(update(PendingUpload).where(PendingUpload.id == ticket.upload_id,
                                                         PendingUpload.status == PENDING)
                             .values(status=RECEIVING))
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise UploadAlreadyUsed("this upload URL was already used; request a new one")

    def release(self, ticket: UploadTicket) -> None:
        """A PUT that failed gives the upload back (the client may retry until it expires)."""
        with self.db.session() as s:
            s.execute(update(PendingUpload).where(PendingUpload.id == ticket.upload_id,
                                                  PendingUpload.status == RECEIVING).values(status=PENDING))

    def finish(self, ticket: UploadTicket, received: Path) -> MediaItem:
        """The received bytes, sniffed against the declared type, as a media row of the owner (blocking)."""
        owner = Principal(ticket.owner_id, "")
        item = self.media.ingest(owner, received, ticket.filename, session_id=None, expect_mime=ticket.content_type,
                                 media_id=ticket.upload_id)
        try:
            with self.db.session() as s:
                s.execute(update(PendingUpload).where(PendingUpload.id == ticket.upload_id)
                          .values(status=DONE, media_id=item.id, completed_at=datetime.now(UTC)))
        except BaseException:
            self.media.discard(owner, [item.id])
            raise
        return item

    # -- using -----------------------------------------------------------------------------------
    def resolve(self, principal: Principal, object_key: str) -> str:
        """The media id an uploaded object key names, for its owner only (``UPLOAD_NOT_FOUND`` for an
        unknown key, another user's, or one whose bytes never arrived)."""
        def find(s: Session) -> PendingUpload | None:
            if len(object_key) > MAX_OBJECT_KEY:
                return None
            return s.scalar(select(PendingUpload).where(PendingUpload.object_key == object_key))

        with self.db.session() as s:
            row = find(s)
            ticket = _ticket(row) if row is not None and row.owner_id == principal.user_id else None
            pending = row is not None and row.status == PENDING
        collected = ticket is not None and pending and self._collect(ticket)  # a direct upload's first use
        with self.db.session() as s:
            if collected:
                row = find(s)
            if row is None or row.owner_id != principal.user_id or row.status != DONE or row.media_id is None:
                raise UploadNotFound(f"no uploaded object {object_key[:MAX_OBJECT_KEY]!r}",
                                     details={"object_key": object_key[:MAX_OBJECT_KEY]})
            return row.media_id

    def finalize(self, principal: Principal, upload_id: str) -> str:
        """Confirm an upload with a finalize step: its bytes arrived and are the declared size (else the
        upload and its media are discarded: ``UPLOAD_SIZE_MISMATCH``). Idempotent; returns the media id.
        ``UPLOAD_NOT_FOUND`` for an unknown id or another user's, ``UPLOAD_NOT_RECEIVED`` before the PUT."""
        with self.db.session() as s:
            row = s.get(PendingUpload, upload_id) if len(upload_id) <= MAX_OBJECT_KEY else None
            ticket = _ticket(row) if row is not None and row.owner_id == principal.user_id else None
        if ticket is not None and row is not None and row.status == PENDING:
            self._collect(ticket)
        with self.db.session() as s:
            row = s.get(PendingUpload, upload_id) if len(upload_id) <= MAX_OBJECT_KEY else None
            if row is None or row.owner_id != principal.user_id:
                raise UploadNotFound(f"no upload {upload_id[:MAX_OBJECT_KEY]!r}", details={"mediaId": upload_id[:64]})
            if row.status != DONE or row.media_id is None:
                raise UploadNotReceived("the file has not been uploaded yet: PUT it to the uploadUrl first")
            media_id, declared = row.media_id, row.declared_size
            size = self.media.get(principal, media_id).size_bytes
            if declared is not None and size != declared:
                s.delete(row)
            else:
                row.finalize_by = None
                return media_id
        self.media.discard(principal, [media_id])
        raise UploadSizeMismatch(f"the upload has {size} bytes, not the declared {declared}",
                                 details={"declared": declared, "received": size})

    def purge_if_due(self) -> int:
        """``purge_expired`` unless it ran less than :data:`PURGE_INTERVAL_SECONDS` ago (0 then)."""
        now = self.clock()
        with self._purge_lock:
            if self._last_purge is not None and 0 <= now - self._last_purge < PURGE_INTERVAL_SECONDS:
                return 0
            self._last_purge = now
        return self.purge_expired()

    def _collect(self, ticket: UploadTicket) -> bool:
        """A direct upload's bytes, read back from the store, checked and kept as media (blocking). False
        when there is nothing to collect: no direct store, the bytes have not arrived, or another request is
        collecting them. Bytes that fail a check spend the upload (it is deleted with them) and raise."""
        direct = self.direct
        if direct is None:
            return False
        try:
            self.claim(ticket)
        except UploadAlreadyUsed:
            return False
        staged = staging_key(ticket.object_key)
        self.scratch.mkdir(parents=True, exist_ok=True)
        dest = self.scratch / f"upload-{uuid.uuid4().hex}"
        limit = self.max_bytes if ticket.declared_size is None else min(self.max_bytes, ticket.declared_size)
        try:
            try:
                size = direct.receive(staged, dest, limit)
            except FileNotFoundError:
                self.release(ticket)
                return False
            except ObjectTooLarge as exc:
                if ticket.declared_size is not None and exc.size > ticket.declared_size:
                    raise UploadSizeMismatch(f"the upload has {exc.size} bytes, not the declared "
                                             f"{ticket.declared_size}",
                                             details={"declared": ticket.declared_size, "received": exc.size}) from None
                raise UploadTooLarge(f"files may be at most {self.max_bytes} bytes") from None
            if ticket.declared_size is not None and size != ticket.declared_size:
                raise UploadSizeMismatch(f"the upload has {size} bytes, not the declared {ticket.declared_size}",
                                         details={"declared": ticket.declared_size, "received": size})
            self.finish(ticket, dest)
        except MediaStoreUnavailable:  # not the bytes' fault: they stay for another try
            self.release(ticket)
            raise
        except StudioError:  # refused bytes: the upload is spent, nothing is kept
            with self.db.session() as s:
                s.execute(delete(PendingUpload).where(PendingUpload.id == ticket.upload_id))
            direct.discard(staged)
            raise
        except BaseException:  # the store or database failed: the client's bytes stay for another try
            self.release(ticket)
            raise
        finally:
            dest.unlink(missing_ok=True)
        direct.discard(staged)
        return True

    def purge_expired(self) -> int:
        """Delete uploads that expired before their bytes arrived (a done upload stays: its key names media)."""
        self._last_purge = self.clock()
        now = datetime.fromtimestamp(self._last_purge, UTC)
        # a PUT still streaming when its URL expires keeps going; one stuck (a crash) goes an hour later
        stuck = now - timedelta(hours=1)
        with self.db.session() as s:
            unfinalized = s.execute(select(PendingUpload.id, PendingUpload.owner_id, PendingUpload.media_id)
                                    .where(PendingUpload.finalize_by < now)).all()
            unreceived = (PendingUpload.status == PENDING) & (PendingUpload.expires_at < now)
            stuck_receiving = (PendingUpload.status == RECEIVING) & (PendingUpload.expires_at < stuck)
            staged = (list(s.scalars(select(PendingUpload.object_key).where(or_(unreceived, stuck_receiving))))
                      if self.direct is not None else [])
            gone = s.execute(delete(PendingUpload).where(or_(unreceived, stuck_receiving,
                                                             PendingUpload.finalize_by < now)))
            count = int(gone.rowcount or 0)  # type: ignore[attr-defined]
        if self.direct is not None:  # bytes a client PUT at the bucket after all, never collected
            for object_key in staged:
                self.direct.discard(staging_key(object_key))
        for _, owner_id, media_id in unfinalized:  # never finalized: their media go too
            if media_id is not None:
                self.media.discard(Principal(owner_id, ""), [media_id])
        return count


def staging_key(object_key: str) -> str:
    """Where a direct upload's bytes wait in the media store until they are checked and kept."""
    return f"uploads/{object_key}"


def _ticket(row: PendingUpload) -> UploadTicket:
    return UploadTicket(row.id, row.owner_id, row.object_key, row.filename, row.content_type, row.declared_size)
