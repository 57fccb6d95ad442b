"""Webhook secrets and signatures.

Each endpoint has its own secret, ``whsec_`` + base64 of 32 random bytes (the Standard Webhooks
format), shown once at creation. It signs two ways on every attempt, with a fresh timestamp:

- ``X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` — the AI Visual
  Studio scheme (Stripe's), keyed with the whole secret string as the seed's JavaScript verifier
  does (``crypto.createHmac('sha256', secret)``);
- ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature`` by ``standardwebhooks`` (keyed
  with the secret's decoded bytes, signing ``<id>.<t>.<body>``), for receivers using those libraries.

``X-Webhook-Id`` and ``webhook-id`` carry the event id, the same on every retry: receivers drop
duplicates with it (delivery is at least once).

Secrets are stored encrypted (AES-256-GCM, a key derived from the server secret, the row id as
associated data so a ciphertext cannot be moved to another row): they must stay readable to sign,
so a one-way hash cannot work, and a copy of the database alone does not reveal them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from standardwebhooks import Webhook

from ..core.errors import StudioError
from .derived_keys import derive_key

SECRET_PREFIX = "whsec_"
_SEALED_PREFIX = "v1:"


class WebhookSecretUnreadable(StudioError):
    """A stored secret no longer decrypts: the server secret changed since it was issued."""

    code, status = "WEBHOOK_SECRET_UNREADABLE", 409


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class SecretBox:
    """Seals webhook secrets for storage and opens them to sign."""

    def __init__(self, server_secret: str) -> None:
        self._aead = AESGCM(derive_key(server_secret, "webhook-secrets"))

    def seal(self, secret: str, row_id: str) -> str:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, secret.encode(), row_id.encode())
        return _SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open(self, sealed: str, row_id: str) -> str:
        try:
            if not sealed.startswith(_SEALED_PREFIX):
                raise ValueError("unknown format")
            raw = base64.urlsafe_b64decode(sealed[len(_SEALED_PREFIX):])
            return self._aead.decrypt(raw[:12], raw[12:], row_id.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise WebhookSecretUnreadable(
                "the webhook's secret cannot be read (the server secret changed); create the webhook again"
            ) from exc


def aivs_signature(secret: str, timestamp: int, body: str) -> str:
    """The ``X-Webhook-Signature`` value the seed's ``verifyWebhookSignature`` accepts."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_headers(secret: str | None, event_id: str, body: str, timestamp: int) -> dict[str, str]:
    """Every id and signature header of one attempt (ids only when the target has no secret)."""
    headers = {"X-Webhook-Id": event_id, "webhook-id": event_id, "webhook-timestamp": str(timestamp)}
    if secret is not None:
        headers["X-Webhook-Signature"] = aivs_signature(secret, timestamp, body)
        if secret.startswith(SECRET_PREFIX):  # a Standard Webhooks secret (a door's own may not be one)
            headers["webhook-signature"] = Webhook(secret).sign(
                event_id, datetime.fromtimestamp(timestamp, UTC), body)
    return headers
