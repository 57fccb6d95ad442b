"""API keys, one model for every door: create (the secret shown once), list, revoke, verify.

A key (``services/api_key_format.py``) is stored only as HMAC-SHA256 under a server pepper: keys
are high-entropy, so a keyed fast hash is as safe as a slow one and costs microseconds per request
(argon2 would cost ~160 ms of CPU per request and make every call a denial-of-service lever).
Malformed keys and bad checksums are refused before any database work. Personal keys issued
before the ``api_keys`` table keep their plain SHA-256 digest (``hash_scheme = 'sha256'``) and are
verified that way until they are regenerated.

Each key carries scopes, an IP allowlist (CIDRs, IPv4 and IPv6), an expiry, a credit spend cap
and a per-key rate limit. The personal key (``/api/v2/account/api-key``) is the user's one
``mas`` key, with full access; it can be switched off and on without changing the secret.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequest, IpNotAllowed, NotFound, StudioError, Unauthorized
from ..core.policy import AIVS_SCOPES, ApiScope, Principal
from ..store.db import Database
from ..store.tables import ApiKey, User
from .api_key_format import KeyKind, is_legacy_key, is_well_formed, new_key, shown_prefix
from .derived_keys import derive_key

HMAC_SCHEME = "hmac-sha256"
LEGACY_SCHEME = "sha256"
PERSONAL_KEY_NAME = "Personal key"
#: ``last_used_at`` is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME_CHARS = 100
MAX_ALLOWLIST_ENTRIES = 100
MAX_ACTIVE_KEYS = 100
MAX_SPEND_CAP = 2**53  # credits; integers only
#: The scopes each kind of key may be given when it is created.
GRANTABLE_SCOPES: dict[KeyKind, tuple[str, ...]] = {
    KeyKind.PERSONAL: (ApiScope.FULL.value,),
    KeyKind.AIVS: tuple(scope.value for scope in AIVS_SCOPES),
    KeyKind.MIRAFLOW: tuple(scope.value for scope in AIVS_SCOPES),  # the same read / generate scopes
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def api_key_pepper(configured: str | None, server_secret: str) -> bytes:
    """The HMAC key API keys are stored under: ``Settings.api_key_pepper``, else a key derived from the
    server secret for this purpose only (changing either invalidates every API key)."""
    return configured.encode() if configured else derive_key(server_secret, "api-key-pepper")


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"


class SpendCapReached(StudioError):
    """The key's credit spend cap would be exceeded; ``details`` has required and available credits."""

    code, status = "SPEND_CAP_REACHED", 403


def _refused(message: str, reason: str) -> Unauthorized:
    return Unauthorized(message, details={"reason": reason})


def _invalid(errors: list[dict[str, str]]) -> InvalidRequest:
    first = errors[0]
    return InvalidRequest(f"{first['field']}: {first['message']}", details={"errors": errors})


@dataclass(frozen=True)
class ApiKeyStatus:
    """The personal key as ``/api/v2/account/api-key`` shows it."""

    enabled: bool
    prefix: str | None
    created_at: datetime | None
    api_key: str | None = None  # only when just issued


@dataclass(frozen=True)
class KeySpec:
    """What a new key may do (validated by :meth:`ApiKeys.create`)."""

    name: str
    scopes: Sequence[str] = (ApiScope.READ.value,)
    ip_allowlist: Sequence[str] = ()
    expires_at: datetime | None = None
    spend_cap: int | None = None
    rate_limit_per_minute: int | None = None


@dataclass(frozen=True)
class ApiKeyInfo:
    id: str
    kind: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    ip_allowlist: tuple[str, ...]
    enabled: bool
    expires_at: datetime | None
    spend_cap: int | None
    spent: int
    rate_limit_per_minute: int  # the effective limit (the studio default when the key sets none)
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    info: ApiKeyInfo
    secret: str  # shown once


@dataclass(frozen=True)
class VerifiedKey:
    principal: Principal
    key_id: str
    rate_limit_per_minute: int


@functools.lru_cache(maxsize=4096)
def _networks(allowlist: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowlist)


def client_ip(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The caller's address as an IP (IPv4-mapped IPv6 unwrapped), or None when it is not one."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_allowed(allowlist: Sequence[str], address: str | None) -> bool:
    """Whether ``address`` is in the allowlist; an empty allowlist allows every address."""
    if not allowlist:
        return True
    ip = client_ip(address)
    if ip is None:
        return False
    return any(ip.version == net.version and ip in net for net in _networks(tuple(allowlist)))


def _normalized_allowlist(entries: Sequence[str]) -> list[str]:
    if len(entries) > MAX_ALLOWLIST_ENTRIES:
        raise _invalid([{"field": "ip_allowlist", "message": f"at most {MAX_ALLOWLIST_ENTRIES} entries"}])
    networks: list[str] = []
    errors = []
    for index, entry in enumerate(entries):
        try:
            if not isinstance(entry, str) or len(entry) > 64:
                raise ValueError
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            errors.append({"field": f"ip_allowlist.{index}",
                           "message": "not an IP address or CIDR network (e.g. 203.0.113.0/24, 2001:db8::/32)"})
            continue
        if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped is not None \
                and net.prefixlen >= 96:  # an IPv4-mapped network: match it as the IPv4 network it is
            net = ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}")
        if str(net) not in networks:
            networks.append(str(net))
    if errors:
        raise _invalid(errors)
    return networks


class ApiKeys:
    def __init__(self, db: Database, pepper: bytes, *, default_rate_limit: int = 60) -> None:
        self.db = db
        self._pepper = pepper
        self.default_rate_limit = default_rate_limit

    def _digest(self, key: str) -> str:
        return hmac.new(self._pepper, key.encode(), hashlib.sha256).hexdigest()

    # -- create, list, revoke ------------------------------------------------------------------
    def create(self, user_id: str, kind: KeyKind, spec: KeySpec) -> IssuedKey:
        """A new key; the secret is in the answer only."""
        values = self._validated(kind, spec)
        with self.db.session() as s:
            active = s.scalars(select(ApiKey.id).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
                               .limit(MAX_ACTIVE_KEYS)).all()
            if len(active) >= MAX_ACTIVE_KEYS:
                raise InvalidRequest(f"at most {MAX_ACTIVE_KEYS} active keys per user; revoke one first",
                                     code="TOO_MANY_API_KEYS")
            row, secret = self._insert(s, user_id, kind, **values)
            return IssuedKey(self._info(row), secret)

    def _insert(self, s: Session, user_id: str, kind: KeyKind, **values: Any) -> tuple[ApiKey, str]:
        secret = new_key(kind)
        row = ApiKey(id=str(uuid.uuid4()), user_id=user_id, kind=kind.value, prefix=shown_prefix(secret),
                     secret_hash=self._digest(secret), hash_scheme=HMAC_SCHEME, enabled=True, spent=0,
                     created_at=datetime.now(UTC), **values)
        s.add(row)
        s.flush()
        return row, secret

    def _validated(self, kind: KeyKind, spec: KeySpec) -> dict[str, Any]:
        errors: list[dict[str, str]] = []
        name = spec.name.strip()
        if not name or len(name) > MAX_NAME_CHARS:
            errors.append({"field": "name", "message": f"1 to {MAX_NAME_CHARS} characters"})
        grantable = GRANTABLE_SCOPES[kind]
        for index, scope in enumerate(spec.scopes):
            if scope not in grantable:
                errors.append({"field": f"scopes.{index}",
                               "message": f"unknown scope {str(scope)[:40]!r}; one of {', '.join(grantable)}"})
        if spec.expires_at is not None:
            expires = spec.expires_at if spec.expires_at.tzinfo else spec.expires_at.replace(tzinfo=UTC)
            if expires <= datetime.now(UTC):
                errors.append({"field": "expires_at", "message": "must be in the future"})
        if spec.spend_cap is not None and not 0 <= spec.spend_cap <= MAX_SPEND_CAP:
            errors.append({"field": "spend_cap", "message": f"0 to {MAX_SPEND_CAP} credits"})
        limit = spec.rate_limit_per_minute
        if limit is not None and not 1 <= limit <= self.default_rate_limit:
            errors.append({"field": "rate_limit_per_minute",
                           "message": f"1 to {self.default_rate_limit} (the studio's limit per key)"})
        if errors:
            raise _invalid(errors)
        return {"name": name, "scopes": sorted(set(spec.scopes)),
                "ip_allowlist": _normalized_allowlist(spec.ip_allowlist),
                "expires_at": spec.expires_at, "spend_cap": spec.spend_cap, "rate_limit_per_minute": limit}

    def list(self, user_id: str) -> list[ApiKeyInfo]:
        """The user's keys that are not revoked, newest first."""
        with self.db.session() as s:
            rows = s.scalars(select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
                             .order_by(ApiKey.created_at.desc(), ApiKey.id)).all()
            return [self._info(row) for row in rows]

    def revoke(self, user_id: str, key_id: str) -> ApiKeyInfo:
        """Revoke one of the user's keys (at once, for every door); revoking twice is harmless."""
        with self.db.session() as s:
            row = s.get(ApiKey, key_id) if len(key_id) <= 36 else None
            if row is None or row.user_id != user_id:
                raise ApiKeyNotFound("API key not found")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            return self._info(row)

    def _info(self, row: ApiKey) -> ApiKeyInfo:
        return ApiKeyInfo(id=row.id, kind=row.kind, name=row.name, prefix=row.prefix, scopes=tuple(row.scopes),
                          ip_allowlist=tuple(row.ip_allowlist), enabled=row.enabled, expires_at=row.expires_at,
                          spend_cap=row.spend_cap, spent=row.spent,
                          rate_limit_per_minute=row.rate_limit_per_minute or self.default_rate_limit,
                          created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)

    # -- verify ----------------------------------------------------------------------------------
    def verify(self, key: str, client_address: str | None) -> VerifiedKey:
        """Who the key belongs to and what it may do; refused if unknown, revoked, disabled, expired
        or used from an address outside its allowlist. One indexed query (plus a write at most once
        a minute for ``last_used_at``)."""
        if is_well_formed(key):
            digest, scheme = self._digest(key), HMAC_SCHEME
        elif is_legacy_key(key):
            digest, scheme = hashlib.sha256(key.encode()).hexdigest(), LEGACY_SCHEME
        else:  # malformed or a bad checksum: no database work
            raise _refused("invalid API key", "invalid_api_key")
        now = datetime.now(UTC)
        with self.db.session() as s:
            found = s.execute(select(ApiKey, User.email, User.is_admin).join(User, User.id == ApiKey.user_id)
                              .where(ApiKey.secret_hash == digest, ApiKey.hash_scheme == scheme)).first()
            if found is None or not hmac.compare_digest(found[0].secret_hash, digest):
                raise _refused("invalid API key", "invalid_api_key")
            row, email, is_admin = found
            if row.revoked_at is not None:
                raise _refused("invalid API key", "invalid_api_key")
            if not row.enabled:
                raise _refused("this API key is disabled", "api_key_disabled")
            if row.expires_at is not None and row.expires_at <= now:
                raise _refused("this API key has expired", "expired_api_key")
            if not address_allowed(row.ip_allowlist, client_address):
                raise IpNotAllowed("this API key may not be used from your address",
                                   details={"ip": (client_address or "")[:64]})
            if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
                s.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
            principal = Principal(row.user_id, email, is_admin, via_api_key=True, key_id=row.id,
                                  scopes=frozenset(row.scopes))
            return VerifiedKey(principal, row.id, row.rate_limit_per_minute or self.default_rate_limit)

    # -- the personal key (/api/v2/account/api-key) ---------------------------------------------
    @staticmethod
    def _personal(s: Session, user_id: str) -> ApiKey | None:
        return s.scalars(select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.kind == KeyKind.PERSONAL.value,
                                              ApiKey.revoked_at.is_(None))
                         .order_by(ApiKey.created_at.desc()).limit(1)).first()

    def _issue_personal(self, s: Session, user_id: str) -> tuple[ApiKey, str]:
        return self._insert(s, user_id, KeyKind.PERSONAL, name=PERSONAL_KEY_NAME, scopes=[ApiScope.FULL.value],
                            ip_allowlist=[], expires_at=None, spend_cap=None, rate_limit_per_minute=None)

    def personal_status(self, user_id: str) -> ApiKeyStatus:
        with self.db.session() as s:
            row = self._personal(s, user_id)
            return ApiKeyStatus(False, None, None) if row is None else ApiKeyStatus(row.enabled, row.prefix,
                                                                                     row.created_at)

    def set_personal_enabled(self, user_id: str, enabled: bool) -> ApiKeyStatus:
        """Switch the personal key on or off; switching on issues one when there is none."""
        with self.db.session() as s:
            row = self._personal(s, user_id)
            issued = None
            if row is None:
                if not enabled:
                    return ApiKeyStatus(False, None, None)
                row, issued = self._issue_personal(s, user_id)
            row.enabled = enabled
            return ApiKeyStatus(row.enabled, row.prefix, row.created_at, issued)

    def regenerate_personal(self, user_id: str) -> ApiKeyStatus:
        """A new personal key (shown once); the previous one is revoked."""
        with self.db.session() as s:
            old = self._personal(s, user_id)
            if old is not None:
                old.revoked_at = datetime.now(UTC)
            row, issued = self._issue_personal(s, user_id)
            return ApiKeyStatus(True, row.prefix, row.created_at, issued)

    # -- spend caps ------------------------------------------------------------------------------
    # ledger: the credits ledger (branch `credits`) calls check_spend_cap when it holds credits for a
    # job made with a key, and add_spend when it captures them; nothing else spends through a key.
    def check_spend_cap(self, key_id: str, amount: int) -> None:
        """Refuse (``SPEND_CAP_REACHED``) when spending ``amount`` more credits would pass the key's cap."""
        with self.db.session() as s:
            row = s.get(ApiKey, key_id)
            if row is None:
                raise ApiKeyNotFound("API key not found")
            if row.spend_cap is not None and row.spent + amount > row.spend_cap:
                raise self._cap_reached(row.spend_cap - row.spent, amount)

    def add_spend(self, key_id: str, amount: int) -> None:
        """Count credits spent through the key, never past its cap (one conditional UPDATE: no race)."""
        if amount < 0:
            raise ValueError("spend is never negative")
        with self.db.session() as s:
            done = s.execute(update(ApiKey).where(ApiKey.id == key_id,
                                                  (ApiKey.spend_cap.is_(None))
                                                  | (ApiKey.spent + amount <= ApiKey.spend_cap))
                             .values(spent=ApiKey.spent + amount))
            if done.rowcount == 0:  # type: ignore[attr-defined]
                row = s.get(ApiKey, key_id)
                if row is None:
                    raise ApiKeyNotFound("API key not found")
                raise self._cap_reached((row.spend_cap or 0) - row.spent, amount)

    @staticmethod
    def _cap_reached(available: int, required: int) -> SpendCapReached:
        return SpendCapReached(f"this key may spend {max(0, available)} more credits; {required} are needed",
                               details={"required": required, "available": max(0, available)})

