"""The gallery: uploads, listing grouped by session, downloads and zips, all access-checked."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, func, or_, select

from ..core.errors import (
    InvalidRequest,
    MediaNotFound,
    NoAccessibleMedia,
    NoIds,
    UnsupportedMediaType,
    UploadTypeMismatch,
)
from ..core.file_names import portable
from ..core.media_limits import DEFAULT_MEDIA_LIMITS, MediaLimits
from ..core.policy import Action, Principal, SessionFacts, require, require_media, require_media_removal
from ..core.values import MediaRef
from ..runtimes.media.probe import EXTENSIONS, NotMedia, probe
from ..store.db import Database
from ..store.media_store import InvalidKey, MediaStore, new_storage_key
from ..store.tables import Media, PendingUpload, SessionShare, StudioSession
from .sessions import ACCEPTED, facts_of, session_facts
from .sessions import is_uuid as _is_uuid


@dataclass(frozen=True)
class MediaItem:
    """A gallery item as the services hand it to doors: no storage internals and no URL (each door
    addresses media its own way)."""

    id: str
    kind: str
    mime: str
    filename: str
    size_bytes: int
    width: int | None
    height: int | None
    duration: float | None
    codecs: Any
    origin: str | None
    session_id: str | None
    node_id: str | None
    run_id: str | None
    metadata: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True)
class MediaGroup:
    session_id: str | None
    session_name: str | None
    items: list[MediaItem]


@dataclass(frozen=True)
class MediaPage:
    groups: list[MediaGroup]
    page: int
    page_size: int
    total: int
    include_shared: bool


def media_item(row: Media) -> MediaItem:
    return MediaItem(id=row.id, kind=row.kind, mime=row.mime, filename=row.filename, size_bytes=row.size_bytes,
                     width=row.width, height=row.height, duration=row.duration, codecs=row.codecs,
                     origin=row.origin, session_id=row.session_id, node_id=row.node_id, run_id=row.run_id,
                     metadata=row.meta, created_at=row.created_at)


def media_ref(row: Media) -> MediaRef:
    return MediaRef(media_id=row.id, kind=row.kind, mime=row.mime,
                    storage_key=row.storage_key, width=row.width, height=row.height,
                    duration=row.duration)


class MediaLibrary:
    def __init__(self, db: Database, store: MediaStore, limits: MediaLimits = DEFAULT_MEDIA_LIMITS) -> None:
        self.db = db
        self.store = store
        self.limits = limits

    # -- access ----------------------------------------------------------------
    def _check(self, s: Any, principal: Principal, row: Media | None) -> Media:
        if row is None:
            raise MediaNotFound("media not found")
        require_media(principal, row.owner_id, _session_facts(s, principal, row))
        return row

    def get(self, principal: Principal, media_id: str) -> Media:
        with self.db.session() as s:
            return self._check(s, principal, s.get(Media, media_id) if _is_uuid(media_id) else None)

    def by_signed_link(self, media_id: str) -> Media:
        """The media a signed link names (the link was checked: ``SignedUrls.check``)."""
        with self.db.session() as s:
            row = s.get(Media, media_id) if _is_uuid(media_id) else None
            if row is None:
                raise MediaNotFound("media not found")
            return row

    @contextmanager
    def file_of(self, row: Media) -> Iterator[Path]:
        """A local path to the media's file; MEDIA_NOT_FOUND when the blob is gone from the store."""
        try:
            with self.store.local_path(row.storage_key) as path:
                yield path
        except (FileNotFoundError, InvalidKey):
            raise MediaNotFound("the media file is missing from the store") from None

    def direct_download_url(self, row: Media, ttl_seconds: int) -> str | None:
        """A presigned URL to GET the media's bytes straight from the store (S3), answered with the
        sniffed type and the download name; None when the store has none (the studio serves the bytes)."""
        direct = self.store.direct
        if direct is None:
            return None
        name = download_name(row)
        disposition = f"inline; filename*=UTF-8''{quote(name, safe='')}"
        try:
            return direct.download_url(row.storage_key, ttl_seconds=ttl_seconds, mime=row.mime,
                                       disposition=disposition)
        except InvalidKey:
            raise MediaNotFound("the media file is missing from the store") from None

    def resolve(self, media_id: str, user_id: str) -> MediaRef:
        """MediaResolver for node tasks: the user's own media or their sessions' media."""
        row = self.get(Principal(user_id, ""), media_id)
        return media_ref(row)

    # -- upload ----------------------------------------------------------------
    def ingest(
        self,
        principal: Principal,
        source: Path,
        filename: str,
        *,
        session_id: str | None,
        node_id: str | None = None,
        expect_kind: str | None = None,
        expect_mime: str | None = None,
        media_id: str | None = None,
    ) -> MediaItem:
        """Identify an uploaded file from its bytes and add it to the gallery; ``expect_mime``: refuse
        bytes of another type (``UPLOAD_TYPE_MISMATCH``; spellings of one type, e.g. image/jpg, agree);
        ``media_id``: the id promised before the bytes arrived (a signed upload's)."""
        return self.ingest_many(principal, [(source, filename)], session_id=session_id, node_id=node_id,
                                expect_kind=expect_kind, expect_mime=expect_mime,
                                media_ids=[media_id] if media_id else None)[0]

    def ingest_many(
        self,
        principal: Principal,
        files: list[tuple[Path, str]],
        *,
        session_id: str | None,
        node_id: str | None = None,
        expect_kind: str | None = None,
        expect_mime: str | None = None,
        media_ids: list[str] | None = None,
    ) -> list[MediaItem]:
        """Add uploaded files to the gallery, all or none: every file is identified before any is kept."""
        if session_id is not None:
            with self.db.session() as s:
                sess = s.get(StudioSession, session_id) if _is_uuid(session_id) else None
                facts = session_facts(s, sess, principal) if sess else SessionFacts(session_id, "")
                require(principal, facts, Action.EDIT)
        infos = []
        for source, filename in files:
            try:
                info = probe(source, self.limits)
            except NotMedia as exc:
                raise UnsupportedMediaType(f"{_safe_name(filename)}: {exc}") from exc
            if expect_kind and info.kind != expect_kind:
                raise UnsupportedMediaType(
                    f"{_safe_name(filename)} is {info.kind}, this input takes {expect_kind}",
                    code="WRONG_MEDIA_KIND",
                )
            if expect_mime and same_type_extension(info.mime) != same_type_extension(expect_mime):
                raise UploadTypeMismatch(f"{_safe_name(filename)} is {info.mime}, not the declared {expect_mime}",
                                         details={"declared": expect_mime, "sniffed": info.mime})
            infos.append(info)
        rows: list[Media] = []
        try:
            for i, ((source, filename), info) in enumerate(zip(files, infos, strict=True)):
                media_id, key = new_storage_key(info.ext, media_ids[i] if media_ids else None)
                size = self.store.put_file(key, source)
                rows.append(Media(
                    id=media_id, owner_id=principal.user_id, session_id=session_id, node_id=node_id,
                    run_id=None, origin="upload", kind=info.kind, mime=info.mime,
                    filename=_safe_name(filename) or f"upload.{info.ext}", storage_key=key, size_bytes=size,
                    width=info.width, height=info.height, duration=info.duration, codecs=info.codecs,
                    meta={}, created_at=datetime.now(UTC),
                ))
            with self.db.session() as s:
                s.add_all(rows)
        except BaseException:
            for row in rows:
                self.store.delete(row.storage_key)
            raise
        return [media_item(row) for row in rows]

    def remove(self, principal: Principal, media_id: str) -> MediaItem:
        """Delete one media item and its file (the gallery's Delete); answers what was removed."""
        with self.db.session() as s:
            row = s.get(Media, media_id) if _is_uuid(media_id) else None
            if row is None:
                raise MediaNotFound("media not found")
            require_media_removal(principal, row.owner_id, _session_facts(s, principal, row))
            removed = media_item(row)
            key = row.storage_key
            s.delete(row)
        self.store.delete(key)
        return removed

    def discard(self, principal: Principal, media_ids: list[str]) -> None:
        """Delete the principal's own media rows and files (rolling back a failed creation)."""
        with self.db.session() as s:
            for media_id in media_ids:
                row = s.get(Media, media_id)
                if row is not None and row.owner_id == principal.user_id:
                    self.store.delete(row.storage_key)
                    s.delete(row)

    # -- listing ---------------------------------------------------------------
    def list_grouped(
        self,
        principal: Principal,
        *,
        media_type: str | None,
        page: int,
        page_size: int,
        date_from: datetime | None,
        date_to: datetime | None,
        include_shared: bool,
    ) -> MediaPage:
        me = principal.user_id
        with self.db.session() as s:
            visible = list(s.scalars(select(StudioSession.id).where(StudioSession.owner_id == me)
                                     .union(select(SessionShare.session_id).where(
                                         SessionShare.user_id == me, SessionShare.status == ACCEPTED))))
        if include_shared:  # also media of sessions shared with me, and what collaborators made in mine
            cond = [or_(Media.session_id.in_(visible), and_(Media.owner_id == me, Media.session_id.is_(None)))]
        else:  # what I made, where I may still see it (not in a session whose share I lost)
            cond = [Media.owner_id == me, or_(Media.session_id.is_(None), Media.session_id.in_(visible))]
        # a direct upload waiting for its finalize step (Miraflow) is not in the gallery until finalized
        cond.append(Media.id.not_in(select(PendingUpload.media_id).where(PendingUpload.finalize_by.is_not(None),
                                                                         PendingUpload.media_id.is_not(None))))
        if media_type:
            cond.append(Media.kind == media_type)
        if date_from:
            cond.append(Media.created_at >= _utc(date_from))
        if date_to:
            cond.append(Media.created_at <= _utc(date_to))
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(Media).where(*cond)) or 0
            rows = s.scalars(
                select(Media).where(*cond).order_by(Media.created_at.desc(), Media.id)
                .limit(page_size).offset((page - 1) * page_size)
            ).all()
            session_ids = {r.session_id for r in rows if r.session_id}
            names = dict(s.execute(
                select(StudioSession.id, StudioSession.name).where(StudioSession.id.in_(session_ids))
            ).all()) if session_ids else {}
        groups: dict[str | None, MediaGroup] = {}
        for row in rows:
            group = groups.setdefault(row.session_id, MediaGroup(
                session_id=row.session_id,
                session_name=names.get(row.session_id) if row.session_id else None,
                items=[],
            ))
            group.items.append(media_item(row))
        return MediaPage(list(groups.values()), page, page_size, total, include_shared)

    def list_session(self, principal: Principal, session_id: str, media_type: str | None) -> MediaGroup:
        with self.db.session() as s:
            sess = s.get(StudioSession, session_id) if _is_uuid(session_id) else None
            facts = session_facts(s, sess, principal) if sess else SessionFacts(session_id, "")
            require(principal, facts, Action.VIEW)
            cond = [Media.session_id == session_id]
            if media_type:
                cond.append(Media.kind == media_type)
            rows = s.scalars(select(Media).where(*cond).order_by(Media.created_at.desc(), Media.id)).all()
            assert sess is not None
            return MediaGroup(session_id, sess.name, [media_item(r) for r in rows])

    # -- zip -------------------------------------------------------------------
    def build_zip(self, principal: Principal, ids: list[str], dest: Path) -> int:
        """Write the readable media among ``ids`` to a zip at ``dest``; returns how many."""
        if not ids:
            raise NoIds("ids must be a non-empty list of media ids")
        readable: list[Media] = []
        with self.db.session() as s:
            for media_id in dict.fromkeys(ids):
                try:
                    row = s.get(Media, media_id) if _is_uuid(media_id) else None
                    readable.append(self._check(s, principal, row))
                except MediaNotFound:
                    continue
        if not readable:
            raise NoAccessibleMedia("none of the requested media exist or may be read by you")
        used: set[str] = set()
        written = 0
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for row in readable:
                name = _unique(download_name(row), used)
                try:
                    with self.store.local_path(row.storage_key) as path:
                        zf.write(path, arcname=name)
                    written += 1
                except (FileNotFoundError, InvalidKey):
                    used.discard(name)  # the blob is gone from the store: leave it out
        if not written:
            raise NoAccessibleMedia("none of the requested media files are in the store")
        return written


def _utc(value: datetime) -> datetime:
    """Times are stored in UTC (SQLite keeps no offset): compare in UTC; a naive time is UTC.

    A time at the edge of the calendar (0001-01-01T00:00+14:00) has no UTC equivalent: DATE_OUT_OF_RANGE.
    """
    try:
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidRequest(f"{value.isoformat()} is outside the dates this studio can compare",
                             code="DATE_OUT_OF_RANGE") from exc


# Other spellings of a sniffed type's extension that a download may keep.
_SAME_TYPE_EXTENSIONS = {"jpg": {"jpeg", "jpe"}, "tif": {"tiff"}, "mp4": {"m4v"}, "wav": {"wave"}}


#: Other names clients give a type (``image/jpg``) -> the name the sniffer answers.
_MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/mp3": "audio/mpeg",
                 "audio/wave": "audio/wav", "image/x-png": "image/png"}


def normalized_mime(content_type: str) -> str:
    """``Image/JPEG; charset=x`` -> ``image/jpeg``, aliases resolved."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(mime, mime)


def same_type_extension(content_type: str) -> str:
    """What a type is, as its file extension: spellings of one type (audio/wav, audio/x-wav) agree."""
    mime = normalized_mime(content_type)
    return EXTENSIONS.get(mime, mime)


def download_name(row: Media) -> str:
    """The user's base name with the extension of what the bytes are (sniffed at upload).

    ``polyglot.html`` whose bytes are PNG downloads as ``polyglot.png``: a browser or desktop
    never opens stored bytes as a type the studio did not recognise them as.
    """
    stem, dot, current = row.filename.rpartition(".")
    if not dot or not stem:
        stem, current = row.filename, ""
    stem = portable(stem, limit=150) or "media"  # older outputs were named after ids like ``blur::iteration-2``
    current = portable(current, limit=10)
    ext = EXTENSIONS.get(row.mime)
    if ext is None:
        return f"{stem}.{current}" if current else stem
    if current.lower() == ext or current.lower() in _SAME_TYPE_EXTENSIONS.get(ext, set()):
        return f"{stem}.{current}"
    return f"{stem}.{ext}"


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(". ")
    return cleaned[:200]


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    stem, dot, ext = name.rpartition(".")
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if dot else f"{name}-{n}"
    used.add(candidate)
    return candidate


def _session_facts(s: Any, principal: Principal, row: Media) -> SessionFacts | None:
    """What the policy needs to know of the session a media row belongs to (None: no session, or gone)."""
    if row.session_id is None:
        return None
    owner_id = s.scalar(select(StudioSession.owner_id).where(StudioSession.id == row.session_id))
    return facts_of(s, row.session_id, owner_id, principal) if owner_id is not None else None
