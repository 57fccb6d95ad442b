"""Settings from environment variables (``MINIAI_*``) and an optional TOML config file.

Precedence: explicit arguments (CLI flags) > environment > config file > defaults.
The config file is ``$MINIAI_CONFIG`` or ``<data dir>/config.toml`` when present.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .core.json_limits import JsonLimits
from .core.media_limits import MediaLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINIAI_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Everything the studio keeps lives here")
    host: str = "127.0.0.1"
    port: int = 8790
    database_url: str | None = Field(default=None, description="Defaults to SQLite in the data dir")
    media_dir: Path | None = None
    models_dir: Path | None = None
    model_cache_bytes: int = Field(default=8 * 1024**3, ge=0,
                                   description="memory budget for warm models (RAM on CPU, VRAM on CUDA)")
    secret_key: str | None = Field(default=None, description="JWT signing key; generated once if unset")
    token_ttl_seconds: int = 7 * 24 * 3600
    max_upload_bytes: int = 4 * 1024**3
    max_concurrent_nodes: int = Field(default=2, ge=1, le=64)
    executor: str = Field(default="local", description="local (in-process); celery comes later")
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
    rate_limit_storage_uri: str = Field(default="memory://",
                                        description="where throttle counters live (limits storage URI)")

    # -- API keys and per-key rate limits (issue 12) ---------------------------------------------
    api_key_pepper: str | None = Field(
        default=None, description="server secret API keys are HMAC'd with; derived from secret_key if unset "
                                  "(changing either invalidates every API key)")
    api_key_rate_limit_per_minute: int = Field(default=60, ge=1, le=1_000_000,
                                               description="requests per window per API key (a key may set less)")
    api_rate_limit_window_seconds: int = Field(default=60, ge=1, le=3600,
                                               description="the per-key rate limit's window (a minute)")

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
    def resolved_media_dir(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

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


    def api_key_pepper_bytes(self) -> bytes:
        """The HMAC key API keys are stored under: ``api_key_pepper``, else derived from the secret key."""
        if self.api_key_pepper:
            return self.api_key_pepper.encode()
        return hmac.new(self.jwt_secret().encode(), b"miniaistudio api key pepper", hashlib.sha256).digest()


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
