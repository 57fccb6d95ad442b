"""Miraflow avatars: the stock portraits that ship with the studio (``assets/avatars``) and the ones
users make from their own photos (one front-facing face, ``runtimes/creative/portrait_check.py``).

An avatar is a photo and a default voice; the talking-avatar engine animates its photo
(:meth:`MiraflowAvatars.photo`: a media id of the user's, or a stock file)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ..core.errors import InvalidRequest, NotFound
from ..core.policy import Principal
from ..runtimes.creative.portrait_check import check_portrait
from ..runtimes.models import tts
from ..runtimes.models.model_cache import ModelCache
from ..store.db import Database
from ..store.tables import MiraflowAvatar
from .media import MediaLibrary

STOCK_DIR = Path(__file__).resolve().parent.parent / "assets" / "avatars"
#: When the stock avatars were added to the studio (their ``createdAt``).
STOCK_CREATED = datetime(2026, 12, 3, tzinfo=UTC)
DEFAULT_VOICE = tts.default_voice(tts.PIPER)


class AvatarNotFound(NotFound):
    code = "AVATAR_NOT_FOUND"


@dataclass(frozen=True)
class Avatar:
    id: str
    name: str
    created_at: datetime
    voice_id: str
    is_photo: bool
    media_id: str | None  # a user's avatar: their photo
    stock_file: Path | None  # a stock avatar: the shipped portrait


STOCK: tuple[Avatar, ...] = (
    Avatar("stock-grace-hopper", "Grace", STOCK_CREATED, DEFAULT_VOICE, True, None, STOCK_DIR / "grace-hopper.jpg"),
    Avatar("stock-eileen-collins", "Eileen", STOCK_CREATED, DEFAULT_VOICE, True, None,
           STOCK_DIR / "eileen-collins.jpg"),
)


def _avatar(row: MiraflowAvatar) -> Avatar:
    return Avatar(row.id, row.name, row.created_at, row.voice_id, True, row.media_id, None)


class MiraflowAvatars:
    def __init__(self, db: Database, media: MediaLibrary, cache: ModelCache) -> None:
        self.db = db
        self.media = media
        self.cache = cache

    def list(self, principal: Principal) -> list[Avatar]:
        """The stock avatars, then the user's own, oldest first."""
        with self.db.session() as s:
            rows = s.scalars(select(MiraflowAvatar).where(MiraflowAvatar.user_id == principal.user_id)
                             .order_by(MiraflowAvatar.created_at, MiraflowAvatar.id)).all()
            return [*STOCK, *(_avatar(row) for row in rows)]

    def get(self, principal: Principal, avatar_id: str) -> Avatar:
        """A stock avatar or one of the user's own (another user's is not found)."""
        stock = next((a for a in STOCK if a.id == avatar_id), None)
        if stock is not None:
            return stock
        with self.db.session() as s:
            row = s.get(MiraflowAvatar, avatar_id)
            if row is None or row.user_id != principal.user_id:
                raise AvatarNotFound("avatar not found")
            return _avatar(row)

    def create(self, principal: Principal, name: str, media_id: str, voice_id: str | None) -> Avatar:
        """An avatar from one of the caller's photos, refused unless it shows exactly one front-facing face."""
        import numpy as np
        from PIL import Image

        row = self.media.get(principal, media_id)
        if row.kind != "image":
            raise InvalidRequest(f"media {media_id} is {row.kind}; an avatar needs a photo", code="NOT_AN_IMAGE")
        with self.media.file_of(row) as path, Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"))
        check_portrait(rgb, cache=self.cache).require()  # PortraitRefused: the door maps its code
        avatar = MiraflowAvatar(id=str(uuid.uuid4()), user_id=principal.user_id, name=name, media_id=row.id,
                                voice_id=voice_id or DEFAULT_VOICE, created_at=datetime.now(UTC))
        with self.db.session() as s:
            s.add(avatar)
        return _avatar(avatar)
