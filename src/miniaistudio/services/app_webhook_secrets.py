"""The secret that signs a user's app-run webhooks (Magnific's per-run ``webhook`` URL).

A run's ``webhook`` is an ad-hoc URL, registered nowhere, so it has no endpoint secret; Magnific
signs such deliveries with one secret per account that the receiver keeps. Ours is derived from
the server secret and the user id (HKDF, ``derived_keys.py``): nothing to store, the same for
every run, shown to its user on the apps page (``GET /api/v2/apps/webhook-secret``); rotating the
server secret rotates it. It has the Standard Webhooks form (``whsec_`` + base64 of 32 bytes), so
deliveries carry both ``X-Webhook-Signature`` and the ``webhook-signature`` header.
"""

from __future__ import annotations

import base64

from .derived_keys import derive_key
from .webhook_signing import SECRET_PREFIX


class AppWebhookSecrets:
    def __init__(self, server_secret: str) -> None:
        self._server_secret = server_secret

    def secret_for(self, user_id: str) -> str:
        key = derive_key(self._server_secret, f"app-webhook-secret:{user_id}")
        return SECRET_PREFIX + base64.b64encode(key).decode()
