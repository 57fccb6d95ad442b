"""Database tables. Portable SQL only: SQLite now, PostgreSQL by configuration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .utc_datetime import UtcDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The four api_key_* columns are no longer used: migration 0010 moved personal keys to ``api_keys``.
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    api_key_prefix: Mapped[str | None] = mapped_column(String(32), nullable=True)
    api_key_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    api_key_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    token_generation: Mapped[int] = mapped_column(Integer, default=0)  # bumped to sign out every login


class RevokedToken(Base):
    """A signed-out login token (by its ``jti``), kept until it would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)  # unix seconds, the token's ``exp``


class ApiKey(Base):
    """A user's API key (``services/api_keys.py``): the personal ``mas_`` key and every door's keys.

    Only ``secret_hash`` identifies the secret: HMAC-SHA256 under the server pepper
    (``hash_scheme`` ``hmac-sha256``), or, for personal keys issued before this table, the
    plain SHA-256 they were stored with (``sha256``; migration 0010 moved them here).
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # KeyKind: mas | avs (stu, mgn, mfl later)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(32))  # public: shown in listings
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_scheme: Mapped[str] = mapped_column(String(16))  # hmac-sha256 | sha256 (legacy personal keys)
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    ip_allowlist: Mapped[list[Any]] = mapped_column(JSON)  # CIDRs; empty: any address
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)  # the personal key can be switched off
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    spend_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # credits; None: no cap
    spent: Mapped[int] = mapped_column(BigInteger, default=0)  # credits spent through this key
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the default
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # at most once a minute
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class StudioSession(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    graph: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    viewport: Mapped[dict[str, Any]] = mapped_column(JSON)
    tabs: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_owner_created", "owner_id", "created_at"),
        Index("ix_media_session_created", "session_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True
    )
    node_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    origin: Mapped[str] = mapped_column(String(16))  # upload | generated
    kind: Mapped[str] = mapped_column(String(16))  # image | video | audio
    mime: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    codecs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_session_created", "session_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(16))
    target_node_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    nodes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    loops: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunNode(Base):
    """One node's state in a run: a row each, so a flush rewrites only the nodes that changed.
    ``status`` repeats ``state["status"]`` so counts and start-up recovery need no JSON queries.
    (``runs.nodes`` is left ``{}``; migration 0006 moved older runs' states here.)"""

    __tablename__ = "run_nodes"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(), primary_key=True)  # loop copies may be long
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class CachedOutput(Base):
    """The persistent output cache, scoped to a session (so access rules stay per session)."""

    __tablename__ = "node_cache"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    node_type: Mapped[str] = mapped_column(String(100))
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AiModel(Base):
    """A model file or folder in the models directory (``services/models.py``)."""

    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)  # text_to_image | image_edit | lora | ...
    format: Mapped[str] = mapped_column(String(16))  # diffusers | safetensors | gguf | onnx | transformers
    path: Mapped[str] = mapped_column(String(500))  # relative to the models directory
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    default_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credits_per_generation: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(300), nullable=True)  # hub repo id when pulled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


#: The ``Recipe.scope`` of admin recipes, shared with everyone (user recipes use the owner's id).
SHARED_RECIPE_SCOPE = "*"


class Recipe(Base):
    """A recipe added by an admin or published by a user (bundled recipes ship as files).

    Ids are unique per scope, so two users may publish the same id without learning of each
    other; admin (shared) and bundled ids are reserved for everyone.
    """

    __tablename__ = "recipes"

    scope: Mapped[str] = mapped_column(String(36), primary_key=True)  # owner's user id, or SHARED_RECIPE_SCOPE
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # admin | user
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
