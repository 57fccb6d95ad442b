"""Settings from environment variables (``MINIAI_*``) and an optional TOML config file.

Precedence: explicit arguments (CLI flags) > environment > config file > defaults.
The config file is ``$MINIAI_CONFIG`` or ``<data dir>/config.toml`` when present.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .core.json_limits import JsonLimits
from .core.media_limits import MediaLimits
from .services.invitation_mail import SmtpConfig

#: Standard Webhooks' example schedule (seconds before each attempt): immediately, 5 s, 5 min,
#: 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h — ten attempts over about 3 days and 3.5 hours.
DEFAULT_WEBHOOK_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0)


class CreditPack(BaseModel):
    """A top-up offer: ``credits`` for ``unit_amount`` in the currency's smallest unit (cents)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    credits: int = Field(gt=0, le=10**12)
    unit_amount: int = Field(gt=0, le=10**10, description="price in the currency's smallest unit (e.g. cents)")
    currency: str = Field(default="usd", pattern=r"^[a-z]{3}$", description="ISO 4217, lower case (Stripe's form)")
    name: str | None = Field(default=None, max_length=120, description="shown at checkout and on the invoice")

    @property
    def title(self) -> str:
        return self.name or f"{self.credits:,} credits"


def default_credit_packs() -> list[CreditPack]:
    return [CreditPack(id="starter", credits=1_000, unit_amount=1_000, currency="usd"),
            CreditPack(id="creator", credits=5_500, unit_amount=5_000, currency="usd"),
            CreditPack(id="studio", credits=12_000, unit_amount=10_000, currency="usd")]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINIAI_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Everything the studio keeps lives here")
    host: str = "127.0.0.1"
    port: int = 8790
    database_url: str | None = Field(default=None, description="Defaults to SQLite in the data dir; "
                                                                "postgresql+psycopg://user:pass@host/db for several "
                                                                "API processes")
    database_pool_size: int = Field(default=10, ge=1, le=500,
                                    description="PostgreSQL: connections each process keeps open")
    database_max_overflow: int = Field(default=20, ge=0, le=1000,
                                       description="PostgreSQL: extra connections opened under load, then closed")
    redis_url: str | None = Field(default=None, description="redis://host:port/db shared by API processes "
                                                            "(run events, rate limit and sign-in throttle counters)")
    event_stream_max_len: int = Field(default=1000, ge=10, le=1_000_000,
                                      description="with Redis: about this many events are kept per session "
                                                  "(how far back a reconnecting client can resume)")
    event_stream_ttl_seconds: int = Field(default=3600, ge=10,
                                          description="with Redis: a session's events go this long after its last")
    run_lease_seconds: float = Field(default=15.0, ge=0.5, le=600,
                                     description="several API processes (PostgreSQL): a run whose process has not "
                                                 "heartbeaten for this long is taken back and ends interrupted")
    media_dir: Path | None = None
    # -- Media store (store/media_store.py, store/s3_media_store.py) -------------------------------
    media_store: Literal["local", "s3"] = Field(
        default="local", description="local: media files in media_dir; s3: in an S3-compatible bucket, with a "
                                     "bounded local read-through cache in the data dir")
    s3_endpoint_url: str | None = Field(default=None, description="the S3 API address (empty: AWS's own)")
    s3_public_endpoint_url: str | None = Field(
        default=None, description="the S3 address clients reach, when it differs from s3_endpoint_url (presigned "
                                  "URLs are signed for this host; a signed host is never rewritten)")
    s3_bucket: str | None = Field(default=None, description="the bucket media live in (media_store=s3)")
    s3_region: str = Field(default="us-east-1", description="the bucket's region (part of every signature)")
    s3_access_key_id: str | None = Field(default=None, description="empty: boto3's usual credential chain")
    s3_secret_access_key: str | None = None
    s3_cache_bytes: int = Field(default=2 * 1024**3, ge=0,
                                description="most bytes the local read-through cache of S3 media keeps")
    s3_presign_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600,
                                        description="longest life of a presigned S3 download URL")

    @field_validator("s3_endpoint_url", "s3_public_endpoint_url")
    @classmethod
    def _s3_address(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError("an http(s) address is expected, e.g. http://127.0.0.1:8333")
        return url.rstrip("/") if url else url

    @model_validator(mode="after")
    def _s3_needs_bucket(self) -> Settings:
        if self.media_store == "s3" and not self.s3_bucket:
            raise ValueError("media_store=s3 needs s3_bucket (MINIAI_S3_BUCKET)")
        return self

    models_dir: Path | None = None
    model_cache_bytes: int = Field(default=8 * 1024**3, ge=0,
                                   description="memory budget for warm models (RAM on CPU, VRAM on CUDA)")
    secret_key: str | None = Field(default=None, description="JWT signing key; generated once if unset")
    content_credentials: bool = Field(default=True, description="sign every image and MP4 the studio writes "
                                                                "with C2PA Content Credentials")
    token_ttl_seconds: int = 7 * 24 * 3600
    max_upload_bytes: int = 4 * 1024**3
    max_concurrent_nodes: int = Field(default=2, ge=1, le=64)
    executor: Literal["local", "celery"] = Field(
        default="local", description="local (a thread pool in the API process) or celery (workers on redis_url, "
                                     "started with `miniaistudio worker`)")
    extra_node_modules: list[str] = Field(
        default_factory=list, description="Python packages with more @node types, loaded beside the built-in "
                                          "ones (by the server and by every worker alike)")

    # -- Celery workers (executor=celery); docs: README "When one machine is not enough" --------
    node_queues: dict[str, str] = Field(
        default_factory=dict, description="node type -> Celery queue, overriding the default: `gpu` for node "
                                          "types that need a GPU, `cpu` for the rest")
    celery_max_deliveries: int = Field(
        default=3, ge=1, le=100, description="a task whose worker died this many times fails "
                                             "(WORKER_LOST_REPEATEDLY) instead of being delivered again")
    celery_visibility_timeout_seconds: float = Field(
        default=2 * 3600, gt=0, description="an unacknowledged task is handed to another worker after this long; "
                                            "keep it above celery_task_time_limit_seconds")
    celery_task_time_limit_seconds: float = Field(
        default=2 * 3600 - 300, gt=0, description="a task running longer is killed (below the visibility timeout, "
                                                  "so no running task is ever delivered twice)")
    celery_restore_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="how often workers look for tasks of dead workers to restore "
                                                 "(kombu's unacked_restore_interval, with a throttle of 1)")
    cancel_grace_seconds: float = Field(
        default=5.0, ge=0, le=600, description="a canceled task that has not stopped by itself after this long "
                                               "is terminated (Celery revoke with SIGTERM)")
    allow_private_urls: bool = False
    recipes_dir: Path | None = Field(default=None, description="Extra recipe JSON files added by an admin")
    model_import_dirs: list[Path] = Field(
        default_factory=list,
        description="Server folders the API may import models from (default: <data dir>/imports); "
                    "the CLI imports from anywhere the shell user can read")

    @property
    def resolved_model_import_dirs(self) -> list[Path]:
        return [p.resolve() for p in (self.model_import_dirs or [self.data_dir / "imports"])]
    cookie_secure: bool = False
    log_level: str = "info"

    # -- E-mail (invitations to shared sessions); nothing is sent unless smtp_host and smtp_from are set --
    smtp_host: str | None = Field(default=None, description="SMTP server for invitation e-mails")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str | None = Field(default=None, description="From address of invitation e-mails")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS before sending")

    @property
    def smtp(self) -> SmtpConfig | None:
        if not self.smtp_host or not self.smtp_from:
            return None
        return SmtpConfig(host=self.smtp_host, port=self.smtp_port, sender=self.smtp_from,
                          username=self.smtp_username, password=self.smtp_password, starttls=self.smtp_starttls)

    # -- Trust: limits on what one request may cost (docs/security.md lists each one) ----------
    max_json_body_bytes: int = Field(default=8 * 1024**2, ge=1024,
                                     description="largest JSON (non-upload) request body")
    max_json_depth: int = Field(default=64, ge=4, le=200, description="deepest nesting of any stored JSON document")
    max_stored_json_bytes: int = Field(default=4 * 1024**2, ge=1024,
                                       description="largest free-form JSON document stored (ui, tabs, params)")
    max_expanded_nodes: int = Field(default=10_000, ge=1,
                                    description="largest graph a run may have after loop expansion")
    max_image_pixels: int = Field(default=64_000_000, ge=1, description="largest image (width x height)")
    max_image_side: int = Field(default=16_384, ge=1, description="largest image width or height")
    max_media_duration_seconds: float = Field(default=4 * 3600, gt=0, description="longest video or audio")
    max_video_frames: int = Field(default=4 * 3600 * 60, ge=1, description="most frames a video may have")
    fetch_timeout_seconds: float = Field(default=60.0, gt=0,
                                         description="whole-download deadline of a server-side fetch")
    max_recipe_input_bytes: int = Field(default=256 * 1024, ge=1024,
                                        description="largest set of inputs one recipe run may send")
    max_app_input_bytes: int = Field(default=20 * 1024**2, ge=1024, description=(
        "largest image an app run's creation input may fetch from a URL or decode from base64 (a base64 "
        "value is also bounded by max_json_body_bytes)"))
    max_schema_nodes: int = Field(default=10_000, ge=10,
                                  description="largest recipe input schema, counted with every $ref expanded")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the server answers to (DNS-rebinding guard); loopback names and `host` "
                    "are always allowed; '*' allows any")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses/CIDRs of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed")
    login_attempts_per_account: str = Field(default="5/minute;20/hour",
                                            description="failed sign-ins allowed per account (limits syntax)")
    login_attempts_per_client: str = Field(default="20/minute;100/hour",
                                           description="failed sign-ins allowed per client address")
    login_attempts_per_account_total: str = Field(
        default="50/hour",
        description="failed sign-ins per account from all addresses before addresses that already failed on "
                    "it must wait (a soft limit: a clean address can always try, so nobody is locked out)")
    rate_limit_storage_uri: str | None = Field(
        default=None, description="where throttle counters live (limits storage URI); default: redis_url when "
                                  "set, so every API process shares them, else memory:// (one process)")

    # -- API keys and per-key rate limits (issue 12) ---------------------------------------------
    api_key_pepper: str | None = Field(
        default=None, description="server secret API keys are HMAC'd with; derived from secret_key if unset "
                                  "(changing either invalidates every API key)")
    api_key_rate_limit_per_minute: int = Field(default=60, ge=1, le=1_000_000,
                                               description="requests per window per API key (a key may set less)")
    api_rate_limit_window_seconds: int = Field(default=60, ge=1, le=3600,
                                               description="the per-key rate limit's window (a minute)")

    # -- Credits and billing (services/credits.py, services/metering.py, services/gpu_billing.py) ---
    billing: Literal["credits", "off"] = Field(
        default="off",
        description="credits: runs and GPU time are charged to a credits ledger; off: nothing is charged "
                    "(a single user on their own hardware pays nobody), balance endpoints still answer")
    billing_starting_grant: int = Field(default=0, ge=0, le=10**12,
                                        description="credits granted once to every new account (billing=credits)")
    node_prices: dict[str, int] = Field(
        default_factory=dict,
        description="credits per execution of a node type, added to its model's credits_per_generation "
                    "(CPU utility nodes are free unless listed here)")
    gpu_price_per_minute: int = Field(default=1, ge=0, le=10**9,
                                      description="credits per started minute of GPU runtime")
    gpu_prepaid_minutes: int = Field(default=10, ge=1, le=24 * 60,
                                     description="minutes held when the GPU runtime starts (and per extension)")
    gpu_idle_timeout_seconds: int = Field(default=300, ge=1,
                                          description="an idle GPU runtime stops (and its billing closes) after this")

    @field_validator("node_prices")
    @classmethod
    def _prices_are_credits(cls, prices: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in prices.items() if isinstance(v, bool) or v < 0 or v > 10**9}
        if bad:
            raise ValueError(f"node prices are whole credits between 0 and 10^9: {bad}")
        return prices
    # -- Webhooks and signed links (services/webhooks.py, services/signed_urls.py) ----------------
    public_url: str | None = Field(
        default=None,
        description="The studio's address as the outside world reaches it, for links sent out (signed "
                    "download URLs in webhooks and dialect answers); default http://<host>:<port>")
    signed_url_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600,
                                        description="how long a signed download URL stays valid")
    aivs_default_image_model: str = Field(default="prunaai/z-image-turbo", max_length=200, description=(
        "AI Visual Studio: the model of POST /api/v1/generate/image without one (id, name or source)"))
    aivs_default_video_model: str = Field(default="minimax/hailuo-2.3-fast", max_length=200, description=(
        "AI Visual Studio: the model of POST /api/v1/generate/video without one (id, name or source)"))
    product_ad_short_side: int = Field(default=540, ge=96, le=1080, description=(
        "Miraflow product ad videos: frame height of 16:9 (width of 9:16) in px; 540 renders 960x540"))
    product_ad_fps: int = Field(default=30, ge=6, le=60, description="Miraflow product ad videos: frames per second")
    webhook_allow_http: bool = Field(default=False, description="accept http:// webhook targets (local "
                                                                "development); https only otherwise")
    webhook_allow_private_targets: bool = Field(
        default=False, description="deliver to loopback/private addresses (tests, trusted networks only)")
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60,
                                           description="one delivery attempt, connect to last byte read")
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: list(DEFAULT_WEBHOOK_SCHEDULE), min_length=1, max_length=50,
        description="seconds to wait before each attempt (the first is the initial delay); its length "
                    "is the number of attempts")
    webhook_retry_jitter: float = Field(default=0.2, ge=0, lt=1,
                                        description="each retry delay is scaled by a random 1 ± jitter")
    webhook_lease_seconds: float = Field(default=60.0, gt=0,
                                         description="a claimed delivery is retried by another dispatcher "
                                                     "(or after a restart) once this has passed")
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60, description="dispatcher's idle poll")
    webhook_concurrency: int = Field(default=4, ge=1, le=64, description="deliveries sent at once")

    @model_validator(mode="after")
    def _lease_outlives_attempt(self) -> Settings:
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("webhook_lease_seconds must be longer than webhook_timeout_seconds")
        if any(delay < 0 for delay in self.webhook_retry_schedule):
            raise ValueError("webhook_retry_schedule delays must not be negative")
        if self.celery_task_time_limit_seconds >= self.celery_visibility_timeout_seconds:
            raise ValueError("celery_task_time_limit_seconds must be below celery_visibility_timeout_seconds")
        if self.executor == "celery" and not self.redis_url:
            raise ValueError("executor=celery needs redis_url (the workers' broker)")
        if any(queue not in ("gpu", "cpu") and not queue.isidentifier() for queue in self.node_queues.values()):
            raise ValueError("node_queues values must be queue names (letters, digits, _)")
        return self

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def public_hosts(self) -> list[str]:
        """The host of ``public_url``: links are handed out under it, so the studio answers to it."""
        host = urlsplit(self.public_url).hostname if self.public_url else None
        return [host] if host else []

    # -- Billing: Stripe top-ups, invoices (README "Top-ups with Stripe") ----------------------------
    stripe_secret_key: str | None = Field(default=None, description="Stripe secret key (sk_live_/sk_test_/rk_...); "
                                                                     "without it top-ups answer BILLING_UNAVAILABLE")
    stripe_webhook_secret: str | None = Field(default=None,
                                              description="signing secret (whsec_...) of the webhook endpoint "
                                                          "/api/v2/billing/stripe-webhook")
    stripe_api_base: str | None = Field(default=None,
                                        description="Stripe API address (tests point it at a local fake)")
    credit_packs: list[CreditPack] = Field(default_factory=default_credit_packs,
                                           description="what a top-up may buy (JSON list in MINIAI_CREDIT_PACKS)")
    billing_public_url: str | None = Field(
        default=None, description="the studio's public address for Checkout's return links "
                                  "(default: the address of the request that started the checkout)")
    invoice_seller_name: str = Field(default="Mini AI Studio", max_length=200)
    invoice_seller_address: str = Field(default="", max_length=1000, description="lines separated by newlines")
    invoice_seller_tax_id: str | None = Field(default=None, max_length=100)
    invoice_tax_rate_percent: Decimal | None = Field(
        default=None, ge=0, le=100, decimal_places=4,
        description="tax included in pack prices, shown as a line on invoices (e.g. 20 for 20% VAT)")
    invoice_tax_label: str = Field(default="VAT", max_length=40)

    @field_validator("credit_packs")
    @classmethod
    def _pack_ids_are_unique(cls, packs: list[CreditPack]) -> list[CreditPack]:
        ids = [pack.id for pack in packs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"credit pack ids must be unique: {sorted(ids)}")
        return packs

    @field_validator("billing_public_url", "stripe_api_base")
    @classmethod
    def _http_address(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError("an http(s) address is expected, e.g. https://studio.example.com")
        return url

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def json_limits(self) -> JsonLimits:
        return JsonLimits(max_depth=self.max_json_depth, max_bytes=self.max_stored_json_bytes)

    @property
    def media_limits(self) -> MediaLimits:
        return MediaLimits(max_pixels=self.max_image_pixels, max_side=self.max_image_side,
                           max_duration_seconds=self.max_media_duration_seconds,
                           max_frames=self.max_video_frames)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'studio.db').resolve()}"

    @property
    def shared_database(self) -> bool:
        """Whether several API processes may share the database (anything but SQLite): runs are then
        coordinated through leases (``services/run_coordination.py``)."""
        return not self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_rate_limit_storage_uri(self) -> str:
        return self.rate_limit_storage_uri or self.redis_url or "memory://"

    @property
    def resolved_media_dir(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

    @property
    def media_cache_dir(self) -> Path:
        """The read-through cache of an S3 media store."""
        return (self.data_dir / "media-cache").resolve()

    @property
    def resolved_models_dir(self) -> Path:
        return (self.models_dir or self.data_dir / "models").resolve()

    @property
    def scratch_dir(self) -> Path:
        return (self.data_dir / "scratch").resolve()

    @property
    def children_file(self) -> Path:
        """Child processes of the running server (killed at the next start if it crashed)."""
        return (self.data_dir / "children.json").resolve()

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.resolved_media_dir, self.scratch_dir):
            path.mkdir(parents=True, exist_ok=True)

    def jwt_secret(self) -> str:
        """The configured key, else one generated once and kept (mode 0600) in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        self.secret_key = path.read_text().strip()
        return self.secret_key


def load_settings(**overrides: Any) -> Settings:
    """Settings from the config file, then the environment, then ``overrides``."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    env = Settings(**overrides)
    config_path = os.environ.get("MINIAI_CONFIG")
    path = Path(config_path) if config_path else env.data_dir / "config.toml"
    if not path.is_file():
        return env
    with path.open("rb") as fh:
        file_values: dict[str, Any] = tomllib.load(fh)
    env_keys = {k[len("MINIAI_"):].lower() for k in os.environ if k.startswith("MINIAI_")}
    merged = {k: v for k, v in file_values.items() if k not in env_keys and k not in overrides}
    return Settings(**merged, **overrides)
