"""Database tables. Portable SQL only: SQLite now, PostgreSQL by configuration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
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
    plan: Mapped[str | None] = mapped_column(String(16), nullable=True)  # services/plans.py; None: the default


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
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # a job's (API-made) session


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


class RunLease(Base):
    """The process running a session's run (``holder_id``), kept by its heartbeat (``store/run_leases.py``).
    A stop or node cancel asked through another process waits here for the holder to pick it up."""

    __tablename__ = "run_leases"
    __table_args__ = (Index("ix_run_leases_holder", "holder_id"),)

    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36))
    holder_id: Mapped[str] = mapped_column(String(100))
    heartbeat_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancel_nodes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class GpuRuntimeLease(Base):
    """The API process whose GPU runtime is up (``store/gpu_leases.py``): who started it, since when,
    its status as of its last heartbeat; a stop asked through another process waits in ``stop_mode``."""

    __tablename__ = "gpu_runtime_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder_id: Mapped[str] = mapped_column(String(100))
    started_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    started_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    heartbeat_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    stop_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[dict[str, Any]] = mapped_column(JSON)


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


class SessionShare(Base):
    """A session shared with someone by e-mail (``services/sharing.py``).

    ``user_id`` is empty until the invitee has an account (filled at invite time when one exists,
    else when they sign up). Only an ``accepted`` share gives its role; limits are whole credits.
    """

    __tablename__ = "session_shares"
    __table_args__ = (
        UniqueConstraint("session_id", "email", name="uq_session_shares_session_email"),
        Index("ix_session_shares_user_status", "user_id", "status"),
        Index("ix_session_shares_email", "email"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    role: Mapped[str] = mapped_column(String(16))  # viewer | runner | editor
    status: Mapped[str] = mapped_column(String(16))  # pending | accepted | declined
    monthly_credit_limit: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    total_credit_limit: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


# -- Credits (services/credits.py) ----------------------------------------------------------------
#: An autoincrementing 64-bit key (SQLite only autoincrements its INTEGER rowid alias).
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class CreditAccount(Base):
    """A user's credits: ``available`` to spend and ``reserved`` by active holds (integers)."""

    __tablename__ = "credit_accounts"
    __table_args__ = (
        CheckConstraint("available >= 0", name="ck_credit_accounts_available"),
        CheckConstraint("reserved >= 0", name="ck_credit_accounts_reserved"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Base):
    """One change of a credit account, append-only. ``amount`` is its effect on ``available``
    and ``reserved_delta`` on ``reserved``; the sums of both over a user's entries equal the account."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_user_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # grant|topup|hold|capture|release|refund|adjustment
    amount: Mapped[int] = mapped_column(BigInteger)
    reserved_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    available_after: Mapped[int] = mapped_column(BigInteger)
    reserved_after: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(300), default="")
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gpu_session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # who caused it
    ref_type: Mapped[str | None] = mapped_column(String(32), nullable=True)  # e.g. "stripe_checkout"
    ref_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CreditHold(Base):
    """Credits reserved for work about to happen, charged to ``user_id`` (the payer).
    ``usage_month`` is set when the hold counts against a collaborator's limits."""

    __tablename__ = "credit_holds"
    __table_args__ = (Index("ix_credit_holds_status", "status", "purpose"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str] = mapped_column(String(36))
    session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    gpu_session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    purpose: Mapped[str] = mapped_column(String(8))  # run | gpu
    amount: Mapped[int] = mapped_column(BigInteger)
    captured: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))  # active | captured | released
    usage_month: Mapped[str | None] = mapped_column(String(7), nullable=True)  # "2026-12"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CollaboratorUsage(Base):
    """Credits a collaborator spent on a shared session, charged to its owner: in ``month``
    (``used_month``) and in total; bumped by the same transaction as the hold, conditionally."""

    __tablename__ = "collaborator_usage"

    payer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    used_month: Mapped[int] = mapped_column(BigInteger, default=0)
    used_total: Mapped[int] = mapped_column(BigInteger, default=0)


class GpuBillingSession(Base):
    """The paid time of one GPU runtime start (``services/gpu_billing.py``): blocks of prepaid
    minutes are held, charged per started minute at close, the rest refunded. ``last_tick_at``
    is written every few seconds, so a crash closes the session with the time actually used."""

    __tablename__ = "gpu_billing_sessions"
    __table_args__ = (Index("ix_gpu_billing_sessions_user", "user_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | closed
    price_per_minute: Mapped[int] = mapped_column(BigInteger)
    block_minutes: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(BigInteger, default=0)  # every block held so far
    paid_seconds: Mapped[int] = mapped_column(BigInteger, default=0)  # minutes the blocks cover, in seconds
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    charged: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # at close
    refunded: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # at close
    used_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # at close
    close_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_tick_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The API process ticking the open session and its heartbeat (epoch seconds); None: embedded studio.
    holder_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)
# -- Webhooks (services/webhooks.py): endpoints, the outbox of events, deliveries and attempts ----
class Job(Base):
    """One request made through a dialect door (``services/jobs.py``): its inputs, the run of its
    graph in a hidden session of the user's, and the result. status: queued | running |
    completed | failed | canceled; ``outputs``: media ids; ``error``: ``{code, message}``."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_user_dialect_created", "user_id", "dialect", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the dialect's prefix: gen_... for AIVS
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    dialect: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    outputs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    credits_charged: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class App(Base):
    """A session published as an app (``services/apps.py``): a snapshot of its graph with the
    declared inputs and returned outputs (``document``). The public id is the SQID of ``id``.
    visibility: private | team | everyone."""

    __tablename__ = "apps"
    __table_args__ = {"sqlite_autoincrement": True}  # ids (SQIDs) are never reused

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AppRun(Base):
    """One run of an app: its job (dialect ``magnific``) and who ran it, for the owner's analytics."""

    __tablename__ = "app_runs"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class WebhookEndpoint(Base):
    """A user's webhook subscription in one dialect. ``secret`` is the signing secret encrypted
    with a key derived from the server secret (``services/webhook_signing.py``): it must be
    readable to sign, so it cannot be a one-way hash."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # whe_...
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dialect: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[Any]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class WebhookEvent(Base):
    """One event, written in the transaction of the change that caused it. ``payload`` is the
    exact JSON text every delivery sends (and signs)."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # evt_..., the X-Webhook-Id
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dialect: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """One event to one target: a subscribed endpoint, or an ad-hoc URL given with a request
    (``target_url``, signed with ``target_secret`` when the door gave one).

    status: pending -> sending (claimed until ``lease_until``) -> delivered | pending (retry) |
    failed (attempts ran out) | disabled (the endpoint is disabled)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # whd_...
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=True)
    target_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    target_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # encrypted like endpoints'
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # attempts started
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)  # the last answer's first KiB
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery, for the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)  # at most 1 KiB of the answer


class TopUp(Base):
    """A credit-pack purchase through Stripe Checkout: ``pending`` until the webhook says it is paid.

    Amounts are integers in the currency's smallest unit; credits are whole credits."""

    __tablename__ = "topups"
    __table_args__ = (Index("ix_topups_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pack: Mapped[str] = mapped_column(String(64))
    pack_name: Mapped[str] = mapped_column(String(200))
    credits: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | paid | expired | failed (async payment)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    payment_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)  # Stripe PaymentIntent id
    receipt_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class StripeEvent(Base):
    """A Stripe webhook event seen, by its id: a replayed or duplicated delivery is recognised.
    ``processed_at`` is set in the transaction that applied it, so a delivery that failed midway is
    applied again when Stripe retries."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)


class InvoiceCounter(Base):
    """The last invoice number given in a year; incremented in the transaction that writes the
    invoice, so numbers have no gaps even when payments arrive together."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Invoice(Base):
    """The invoice of a paid top-up (``INV-YYYY-000001``); what it says is fixed when it is issued."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
                      Index("ix_invoices_user_issued", "user_id", "issued_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topup_id: Mapped[str] = mapped_column(ForeignKey("topups.id", ondelete="CASCADE"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    buyer_email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(String(300))
    credits: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # total paid, tax included
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_label: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tax_rate: Mapped[str | None] = mapped_column(String(16), nullable=True)  # percent as exact decimal text
    currency: Mapped[str] = mapped_column(String(3))
    payment_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    receipt_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)  # name, address, tax_id as configured at issue


class PendingUpload(Base):
    """A signed upload (``services/signed_uploads.py``): an owner's promise of one file of a declared
    type (and size), PUT once to a signed URL before ``expires_at``. status: pending | receiving | done;
    a done upload's ``object_key`` names its media row for its owner only."""

    __tablename__ = "pending_uploads"
    __table_args__ = (Index("ix_pending_uploads_status_expires", "status", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    declared_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[str | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # doors with a finalize step: finalize before this, or the upload and its media go (NULL: none / done)
    finalize_by: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class MiraflowAvatar(Base):
    """A Miraflow avatar a user made from one of their photos (``services/miraflow_avatars.py``); the
    stock avatars ship with the studio and have no row."""

    __tablename__ = "miraflow_avatars"
    __table_args__ = (Index("ix_miraflow_avatars_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    media_id: Mapped[str] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
    voice_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TaskAttempt(Base):
    """One node task handed to Celery workers (``executors/celery_worker.py``): how often it was
    delivered, and how it ended. Celery redelivers a task whose worker died with no retry counter of
    its own; ``deliveries`` bounds that, and a stored end makes a redelivered task that already
    ended answer with the same result instead of running (and writing media) again.
    status: running | succeeded | failed | canceled; ``result``: the encoded TaskResult."""

    __tablename__ = "task_attempts"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # one engine attempt of one node
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    node_id: Mapped[str] = mapped_column(String(200))
    node_type: Mapped[str] = mapped_column(String(120))
    attempt: Mapped[int] = mapped_column(Integer)  # the engine's attempt number (its retry policy)
    queue: Mapped[str] = mapped_column(String(40))
    deliveries: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    worker: Mapped[str] = mapped_column(String(200))  # the host name of the worker of the last delivery
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class IdempotencyKey(Base):
    """One ``Idempotency-Key`` a principal sent with a creating POST of /api/v2
    (``store/idempotency_keys.py``): the request's fingerprint and, once answered, the answer to
    replay for 24 h. status: in_flight | done; an in_flight row older than the claim lease was left
    by a process that died and may be claimed again."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(80), primary_key=True)  # "user:<id>" or "cred:<sha256>"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)  # sha256 of method, path, body
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_headers: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
