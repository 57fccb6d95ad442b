"""Users, passwords, login tokens and the personal API key.

Passwords are argon2id hashes. API keys, the personal ``mas_`` key included, live in
``services/api_keys.py``; this module resolves them (``principal_for``) and keeps the personal
key's operations for ``/api/v2/account/api-key``.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from ..core.errors import Conflict, InvalidRequest, Unauthorized
from ..core.policy import Principal
from ..store.db import Database
from ..store.tables import RevokedToken, User
from .api_key_format import looks_like_key
from .api_keys import ApiKeys, ApiKeyStatus
from .login_throttle import LoginThrottle
from .sharing import link_invitations

__all__ = ["Accounts", "ApiKeyStatus", "IssuedToken", "Profile"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_hasher = PasswordHasher()
#: A login token verified against the database is trusted this many seconds without asking again.
#: Signing out or changing a password in this process forgets every verified token at once; another
#: process (a second worker, the admin CLI) is heard within this time.
TOKEN_CHECK_SECONDS = 2.0
_VERIFIED_TOKENS = 1024


def _refused(message: str, reason: str) -> Unauthorized:
    """The seed's documented code (UNAUTHORIZED), with the finer reason in ``details``."""
    return Unauthorized(message, details={"reason": reason})


@dataclass(frozen=True)
class Profile:
    id: str
    email: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


class Accounts:
    def __init__(self, db: Database, jwt_secret: str, token_ttl: int, throttle: LoginThrottle | None = None,
                 *, api_keys: ApiKeys) -> None:
        self.db = db
        self._secret = jwt_secret
        self._ttl = token_ttl
        self._throttle = throttle
        self.api_keys = api_keys
        # token -> (trusted until, on the monotonic clock; its principal): the hot path asks no database
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._verified_lock = threading.Lock()
        self._forgotten = 0  # counts _forget_verified: a check that raced a sign-out is not remembered

    def _forget_verified(self) -> None:
        """Called once a sign-out or password change is committed: every token is checked again."""
        with self._verified_lock:
            self._verified.clear()
            self._forgotten += 1

    def cached_principal(self, credential: str) -> Principal | None:
        """The principal of a login token verified within the last :data:`TOKEN_CHECK_SECONDS` (no I/O,
        safe on the event loop); None when it must be verified (:meth:`principal_for`)."""
        with self._verified_lock:
            found = self._verified.get(credential)
        if found is None:
            return None
        if found[0] < time.monotonic():
            with self._verified_lock:
                self._verified.pop(credential, None)
            return None
        return found[1]

    # -- users -----------------------------------------------------------------
    def create_user(self, email: str, password: str, *, admin: bool = False) -> User:
        email = email.strip().lower()
        if not _EMAIL.match(email) or len(email) > 320:
            raise InvalidRequest("a valid email address is required", code="INVALID_EMAIL")
        if len(password) < 8:
            raise InvalidRequest("passwords need at least 8 characters", code="WEAK_PASSWORD")
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.email == email)) is not None:
                raise Conflict(f"a user with email {email} exists", code="EMAIL_TAKEN")
            user = User(id=str(uuid.uuid4()), email=email, password_hash=_hasher.hash(password),
                        is_admin=admin, api_key_enabled=False, token_generation=0,
                        created_at=datetime.now(UTC))
            s.add(user)
            s.flush()
            link_invitations(s, user.id, email)  # invitations sent before the account existed
        return user

    def user_id_by_email(self, email: str) -> str:
        """The id of the user with this email, else USER_NOT_FOUND (admin commands name users by email)."""
        with self.db.session() as s:
            user_id = s.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise InvalidRequest(f"no user with email {email}", code="USER_NOT_FOUND")
        return user_id

    def user_count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(User)) or 0)

    def set_password(self, email: str, password: str) -> None:
        if len(password) < 8:
            raise InvalidRequest("passwords need at least 8 characters", code="WEAK_PASSWORD")
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise InvalidRequest(f"no user with email {email}", code="USER_NOT_FOUND")
            user.password_hash = _hasher.hash(password)
            user.token_generation += 1  # signs out every existing login
        self._forget_verified()

    # -- login -----------------------------------------------------------------
    def login(self, email: str, password: str, *, client: str = "local") -> IssuedToken:
        """A new login token; wrong passwords are throttled per account and address (``LoginThrottle``)."""
        with self._guarded(email, client), self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                _hasher.hash(password)  # same cost whether or not the user exists
                raise _refused("wrong email or password", "invalid_credentials")
            self._verify_password(user, password)
            return self._issue_token(user)

    def change_password(self, user_id: str, current: str, new: str, *, client: str = "local") -> IssuedToken:
        """Check the current password (throttled like sign-in), set the new one, sign out every
        other login, and issue a fresh token for the caller."""
        if len(new) < 8:
            raise InvalidRequest("passwords need at least 8 characters", code="WEAK_PASSWORD")
        with self.db.session() as s:
            email = self._user(s, user_id).email
        with self._guarded(email, client), self.db.session() as s:
            user = self._user(s, user_id)
            self._verify_password(user, current, reason="wrong_current_password")
            user.password_hash = _hasher.hash(new)
            user.token_generation += 1
            issued = self._issue_token(user)
        self._forget_verified()
        return issued

    def logout(self, token: str) -> None:
        """Revoke one login token until it expires; tokens without an id sign out every login."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
        except jwt.PyJWTError:
            return  # not a valid login token: nothing to revoke
        now = int(time.time())
        with self.db.session() as s:
            s.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))  # prune: they expired anyway
            jti = claims.get("jti")
            user = s.get(User, str(claims["sub"]))
            if user is None:
                return
            if isinstance(jti, str) and jti:
                if s.get(RevokedToken, jti) is None:
                    s.add(RevokedToken(jti=jti, user_id=user.id, expires_at=int(claims["exp"])))
            elif user.token_generation == claims.get("gen"):
                user.token_generation += 1
        self._forget_verified()

    def _guarded(self, account: str, client: str) -> AbstractContextManager[None]:
        return self._throttle.attempt(account, client) if self._throttle else nullcontext()

    @staticmethod
    def _verify_password(user: User, password: str, reason: str = "invalid_credentials") -> None:
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise _refused("wrong email or password" if reason == "invalid_credentials"
                           else "the current password is wrong", reason) from None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)

    def _issue_token(self, user: User) -> IssuedToken:
        now = int(time.time())
        claims = {"sub": user.id, "gen": user.token_generation, "jti": uuid.uuid4().hex,
                  "iat": now, "exp": now + self._ttl}
        return IssuedToken(jwt.encode(claims, self._secret, algorithm="HS256"), self._ttl)

    def principal_for(self, credential: str) -> Principal:
        """Resolve a bearer credential: an API key or a login JWT (one indexed query). A key with an
        IP allowlist is refused here, where no client address is known (the doors pass one)."""
        if looks_like_key(credential):
            return self.api_keys.verify(credential, None).principal
        try:
            claims = jwt.decode(credential, self._secret, algorithms=["HS256"],
                                options={"require": ["sub", "exp"]})
        except jwt.ExpiredSignatureError:
            raise _refused("your login has expired; sign in again", "token_expired") from None
        except jwt.PyJWTError:
            raise _refused("invalid bearer token", "invalid_token") from None
        jti = claims.get("jti")
        forgotten = self._forgotten
        with self.db.session() as s:
            row = s.execute(
                select(User, RevokedToken.jti)
                .outerjoin(RevokedToken, RevokedToken.jti == (jti if isinstance(jti, str) else ""))
                .where(User.id == str(claims["sub"]))
            ).first()
            if row is None:
                raise _refused("invalid bearer token", "invalid_token")
            user, revoked = row
            if revoked is not None or user.token_generation != claims.get("gen"):
                raise _refused("you have signed out or changed your password; sign in again", "token_revoked")
            principal = Principal(user.id, user.email, user.is_admin)
        # Trusted until the check is due again or the token expires, whichever comes first.
        until = time.monotonic() + min(TOKEN_CHECK_SECONDS, float(claims["exp"]) - time.time())
        with self._verified_lock:
            if forgotten != self._forgotten:  # a sign-out committed meanwhile: check again next time
                return principal
            self._verified[credential] = (until, principal)
            while len(self._verified) > _VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return principal

    def profile(self, user_id: str) -> Profile:
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise _refused("invalid bearer token", "invalid_token")
            return Profile(user.id, user.email, user.is_admin, user.created_at)

    # -- the personal API key (services/api_keys.py keeps it) ----------------------------------
    def api_key_status(self, user_id: str) -> ApiKeyStatus:
        return self.api_keys.personal_status(user_id)

    def set_api_key_enabled(self, user_id: str, enabled: bool) -> ApiKeyStatus:
        return self.api_keys.set_personal_enabled(user_id, enabled)

    def regenerate_api_key(self, user_id: str) -> ApiKeyStatus:
        return self.api_keys.regenerate_personal(user_id)

    @staticmethod
    def _user(s: Any, user_id: str) -> User:
        user = s.get(User, user_id)
        if user is None:
            raise _refused("invalid bearer token", "invalid_token")
        return user  # type: ignore[no-any-return]
