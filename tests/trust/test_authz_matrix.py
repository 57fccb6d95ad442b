"""Authorization matrix: every operation of the OpenAPI document x every kind of caller.

``ROWS`` declares, for each (method, path), how to fill the request and what each identity may do.
A route in the OpenAPI document without a row fails the suite, so no route ships unchecked.
Every answer to someone who is not the owner is scanned for the owner's data (a "leak").
Everything runs against one studio, built once, so the whole matrix takes seconds."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from PIL import Image

from conftest import PASSWORD, edge, make_settings, node
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

from .figures import Figures

#: The doors whose routes the matrix covers (the dialects of the next issues join here).
#: Miraflow's seed puts its sections directly under /api.
MIRAFLOW_SECTIONS = ("keys", "media", "avatars", "avatar", "voices", "video", "videos", "image", "mockup",
                     "thumbnail", "thumbnails")
DOORS = ("/api/v2", "/api/files", "/api/v1", "/v1/ai", *(f"/api/{section}" for section in MIRAFLOW_SECTIONS))
BASE_URL = "http://studio.test"

# -- identities ------------------------------------------------------------------------------------
ANONYMOUS = "anonymous"
WRONG_KEY_JWT = "jwt signed with a wrong key"
EXPIRED_JWT = "expired jwt"
TAMPERED_JWT = "tampered jwt"
DISABLED_KEY = "disabled api key"
REPLACED_KEY = "replaced api key"
OTHER = "other user"
ADMIN = "admin (not the owner)"
OWNER_KEY = "owner's api key"
OWNER = "owner"

BAD_CREDENTIALS = (WRONG_KEY_JWT, EXPIRED_JWT, TAMPERED_JWT, DISABLED_KEY, REPLACED_KEY)
#: Order matters for rows that change credentials: the owner goes last.
IDENTITIES = (ANONYMOUS, *BAD_CREDENTIALS, OTHER, ADMIN, OWNER_KEY, OWNER)
OWNERS = (OWNER_KEY, OWNER)


# -- expectations ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """``ok``: a 2xx. ``deny``: exactly ``status`` and ``code``. ``reached``: authorization let the
    call through to the handler (any 2xx/4xx that is not 401/403), e.g. an admin importing a path
    that does not exist."""

    kind: str
    status: int = 0
    code: str = ""

    def check(self, r: httpx.Response) -> str | None:
        """None when the answer meets the expectation, else what is wrong."""
        if r.status_code >= 500:
            return f"server error {r.status_code}"
        code = error_code(r)
        if self.kind == "ok":
            return None if 200 <= r.status_code < 300 else f"expected 2xx, got {r.status_code} {code}"
        if self.kind == "reached":
            if r.status_code in (401, 403):
                return f"expected to pass authorization, got {r.status_code} {code}"
            return None
        if r.status_code != self.status or code != self.code:
            return f"expected {self.status} {self.code}, got {r.status_code} {code}"
        return None

    def __str__(self) -> str:
        return self.kind if self.kind != "deny" else f"{self.status} {self.code}"


OK = Expect("ok")
REACHED = Expect("reached")


def deny(status: int, code: str) -> Expect:
    return Expect("deny", status, code)


SIGN_IN = deny(401, "AUTHORIZATION_HEADER_REQUIRED")
BAD_CREDENTIAL = deny(401, "UNAUTHORIZED")
FORBIDDEN = deny(403, "FORBIDDEN")
NO_SESSION = deny(404, "SESSION_NOT_FOUND")
NO_MEDIA = deny(404, "MEDIA_NOT_FOUND")
NO_RECIPE = deny(404, "RECIPE_NOT_FOUND")
NO_SHARE = deny(404, "SHARE_NOT_FOUND")
NO_APP = deny(404, "APP_NOT_FOUND")


def error_code(r: httpx.Response) -> str:
    if r.status_code < 400:
        return ""
    try:
        body = r.json()
    except ValueError:
        return "<not json>"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):  # the AI Visual Studio envelope
        return str(body["error"].get("code"))
    return str(body.get("code")) if isinstance(body, dict) else "<not an object>"


# -- what the owner has ------------------------------------------------------------------------------
@dataclass
class Owned:
    """The owner's resources, and the secrets no one else may ever read."""

    owner_id: str
    owner_email: str
    session_id: str
    version: int
    run_id: str
    media_id: str
    recipe_id: str
    prompt: str
    aivs_key_id: str
    share_id: str = ""  # the owner's session shared with a collaborator
    invitation_id: str = ""  # another user's session shared with the owner
    doomed: dict[str, str] = field(default_factory=dict)  # a session per identity for DELETE
    doomed_shares: dict[str, str] = field(default_factory=dict)  # a share per identity for DELETE
    signed_link: dict[str, str] = field(default_factory=dict)  # query of a signed download of media_id
    webhook_id: str = ""  # the owner's AI Visual Studio webhook, its secret and a delivery of its test event
    webhook_secret: str = ""
    webhook_delivery_id: str = ""
    doomed_webhooks: dict[str, str] = field(default_factory=dict)  # a webhook per identity for DELETE
    app_id: str = ""  # the owner's private app, a run of it, and an app per identity for DELETE
    app_run_id: str = ""
    app_webhook_secret: str = ""
    doomed_apps: dict[str, str] = field(default_factory=dict)
    doomed_media: dict[str, str] = field(default_factory=dict)  # an upload per identity for DELETE

    def secrets(self) -> dict[str, str]:
        return {"owner id": self.owner_id, "owner email": self.owner_email, "session id": self.session_id,
                "run id": self.run_id, "media id": self.media_id, "recipe id": self.recipe_id,
                "prompt": self.prompt, "share id": self.share_id, "AIVS key id": self.aivs_key_id,
                **{f"session to delete ({k})": v for k, v in self.doomed.items()},
                **{f"share to revoke ({k})": v for k, v in self.doomed_shares.items()},
                "webhook id": self.webhook_id, "webhook secret": self.webhook_secret,
                "webhook delivery id": self.webhook_delivery_id,
                **{f"webhook to delete ({k})": v for k, v in self.doomed_webhooks.items()},
                "app id": self.app_id, "app run id": self.app_run_id, "app webhook secret": self.app_webhook_secret,
                **{f"app to delete ({k})": v for k, v in self.doomed_apps.items()},
                **{f"media to delete ({k})": v for k, v in self.doomed_media.items()}}


@dataclass
class Call:
    path_params: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)


Fill = Callable[[Owned, str], Call]


def plain(**kw: Any) -> Fill:
    return lambda owned, who: Call(**kw)


def in_session(**kw: Any) -> Fill:
    """A call on the owner's session as the active session (X-Session-ID)."""
    extra = kw.pop("headers", {})
    return lambda owned, who: Call(headers={"X-Session-ID": owned.session_id, **extra}, **kw)


def session_path(**kw: Any) -> Fill:
    return lambda owned, who: Call(path_params={"session_id": owned.session_id}, **kw)


def flow_body(owned: Owned) -> dict[str, Any]:
    return {"graph": owner_graph(owned.prompt), "version": owned.version}


#: Routes after which the caller's login token must no longer work.
REVOKING = ("/api/v2/auth/logout", "/api/v2/account/password")


def owner_graph(prompt: str) -> dict[str, Any]:
    return {"nodes": [node("c", "image.solid_color", width=16, height=16), node("a", "image.adjust", invert=True),
                      node("t", "text", x=200, text=prompt)],
            "edges": [edge("c", "image", "a", "image")]}


def publish_body(recipe_id: str) -> dict[str, Any]:
    return {"id": recipe_id, "name": "Owner's recipe",
            "inputs": [{"name": "words", "node_id": "t", "field": "text", "required": False}]}


def app_publish_body() -> dict[str, Any]:
    return {"name": "Owner's app", "inputs": [{"node_id": "t", "field": "text", "type": "text", "label": "Words",
                                               "required": False}], "outputs": [{"node_id": "a"}]}


def owners_app(**kw: Any) -> Fill:
    return lambda owned, who: Call(path_params={"app_id": owned.app_id}, **kw)


def admin_recipe() -> dict[str, Any]:
    bundled = Path(__file__).resolve().parents[2] / "src" / "miniaistudio" / "recipes" / "image_upscaler.json"
    recipe: dict[str, Any] = json.loads(bundled.read_text())
    return {**recipe, "id": "authz-admin-recipe", "name": "Admin recipe"}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()
WAIT = {"Prefer": "wait=60"}


@dataclass(frozen=True)
class Row:
    """What each identity may do on one route. ``stranger`` covers the other user and, unless
    ``admin`` says otherwise, the admin; ``owner`` covers the owner and the owner's API key."""

    fill: Fill
    owner: Expect = OK
    stranger: Expect = OK
    admin: Expect | None = None
    public: bool = False  # answers everyone alike (credentials are not read)
    changes_credentials: bool = False  # tried after the others; credentials are renewed after it
    stream: bool = False  # an endless response: read its head through raw ASGI
    # Doors with their own envelope say how they refuse a missing and a bad credential, and
    # whether the owner's API key gets what the owner gets.
    anonymous: Expect = SIGN_IN
    bad_credential: Expect = BAD_CREDENTIAL
    owner_key: Expect | None = None

    def expected(self, who: str) -> Expect:
        if self.public:
            return self.owner
        if who == ANONYMOUS:
            return self.anonymous
        if who in BAD_CREDENTIALS:
            return self.bad_credential
        if who == OWNER_KEY and self.owner_key is not None:
            return self.owner_key
        if who in OWNERS:
            return self.owner
        if who == ADMIN and self.admin is not None:
            return self.admin
        return self.stranger


ADMIN_ONLY: dict[str, Any] = {"owner": FORBIDDEN, "stranger": FORBIDDEN, "admin": REACHED}
#: AI Visual Studio's key management: its envelope and codes, a web session only (API keys refused).
AIVS_SESSION_ONLY: dict[str, Any] = {"anonymous": deny(401, "missing_api_key"),
                                     "bad_credential": deny(401, "invalid_api_key"),
                                     "owner_key": deny(403, "insufficient_scope")}
#: AI Visual Studio routes for a key (or a web session): its envelope and codes.
AIVS_KEYED: dict[str, Any] = {"anonymous": deny(401, "missing_api_key"), "bad_credential": deny(401, "invalid_api_key")}
AIVS_NOT_FOUND = deny(404, "not_found")
#: Studii routes for a key (or a web session): its envelope ``{"error", "code"}`` and codes.
STUDII_KEYED: dict[str, Any] = {"anonymous": deny(401, "missing_api_key"),
                                "bad_credential": deny(401, "invalid_api_key")}


NO_GENERATION = deny(404, "not_found")
NO_JOB = deny(404, "JOB_NOT_FOUND")  # Miraflow: another user's job id is as unknown as a made-up one
NO_MOCKUP = deny(404, "MOCKUP_NOT_FOUND")


def owners_webhook(**kw: Any) -> Fill:
    return lambda owned, who: Call(path_params={"webhook_id": owned.webhook_id}, **kw)

ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v2/ping"): Row(plain(), public=True),
    ("POST", "/api/v2/auth/login"): Row(plain(json={"email": "probe@example.com", "password": PASSWORD}),
                                        public=True),
    ("POST", "/api/v2/auth/logout"): Row(plain(), changes_credentials=True),
    ("GET", "/api/v2/auth/me"): Row(plain()),
    ("GET", "/api/v2/account/api-key"): Row(plain()),
    ("PUT", "/api/v2/account/api-key"): Row(plain(json={"enabled": True})),
    ("POST", "/api/v2/account/api-key/regenerate"): Row(plain(), changes_credentials=True),
    ("POST", "/api/v2/account/password"): Row(plain(json={"current_password": PASSWORD, "new_password": PASSWORD}),
                                              changes_credentials=True),
    ("GET", "/api/v2/nodes"): Row(plain()),
    ("GET", "/api/v2/nodes/{node_type}"): Row(plain(path_params={"node_type": "image.adjust"})),
    # sessions by id
    ("POST", "/api/v2/sessions"): Row(plain(json={"name": "another session"})),
    ("GET", "/api/v2/sessions"): Row(plain(params={"limit": "200"})),
    ("GET", "/api/v2/sessions/{session_id}"): Row(session_path(), stranger=NO_SESSION),
    ("PATCH", "/api/v2/sessions/{session_id}"): Row(session_path(json={"name": "Owner's secret session"}),
                                                    stranger=NO_SESSION),
    ("DELETE", "/api/v2/sessions/{session_id}"): Row(
        lambda owned, who: Call(path_params={"session_id": owned.doomed[who]}), stranger=NO_SESSION),
    ("PUT", "/api/v2/sessions/{session_id}/flow"): Row(
        lambda owned, who: Call(path_params={"session_id": owned.session_id}, json=flow_body(owned)),
        stranger=NO_SESSION),
    ("POST", "/api/v2/sessions/{session_id}/open"): Row(session_path(), stranger=NO_SESSION),
    # the active session
    ("GET", "/api/v2/session"): Row(in_session(), stranger=NO_SESSION),
    ("PUT", "/api/v2/session/flow"): Row(
        lambda owned, who: Call(headers={"X-Session-ID": owned.session_id}, json=flow_body(owned)),
        stranger=NO_SESSION),
    ("POST", "/api/v2/session/execute"): Row(in_session(json={"mode": "full"}, headers=WAIT), stranger=NO_SESSION),
    ("POST", "/api/v2/session/nodes/{node_id}/rerun"): Row(
        in_session(path_params={"node_id": "a"}, headers=WAIT), stranger=NO_SESSION),
    ("POST", "/api/v2/session/nodes/{node_id}/cancel"): Row(in_session(path_params={"node_id": "a"}),
                                                           stranger=NO_SESSION),
    ("POST", "/api/v2/session/stop"): Row(in_session(), stranger=NO_SESSION),
    ("GET", "/api/v2/session/execution"): Row(in_session(), stranger=NO_SESSION),
    ("GET", "/api/v2/session/outputs"): Row(in_session(), stranger=NO_SESSION),
    ("GET", "/api/v2/session/executions"): Row(in_session(), stranger=NO_SESSION),
    ("GET", "/api/v2/session/queue"): Row(in_session(), stranger=NO_SESSION),
    ("DELETE", "/api/v2/session/queue/{run_id}"): Row(
        lambda owned, who: Call(path_params={"run_id": owned.run_id}, headers={"X-Session-ID": owned.session_id}),
        stranger=NO_SESSION),
    ("GET", "/api/v2/session/runs/{run_id}"): Row(
        lambda owned, who: Call(path_params={"run_id": owned.run_id}, headers={"X-Session-ID": owned.session_id}),
        stranger=NO_SESSION),
    ("GET", "/api/v2/session/events"): Row(
        lambda owned, who: Call(params={"session_id": owned.session_id}), stranger=NO_SESSION, stream=True),
    # media
    ("POST", "/api/v2/media/upload"): Row(
        lambda owned, who: Call(params={"session_id": owned.session_id},
                                files={"file": ("dot.png", PNG, "image/png")}), stranger=NO_SESSION),
    ("GET", "/api/v2/media"): Row(plain(params={"include_shared": "true", "page_size": "500"})),
    ("GET", "/api/v2/media/sessions/{session_id}"): Row(session_path(), stranger=NO_SESSION),
    ("POST", "/api/v2/media/download-zip"): Row(lambda owned, who: Call(json={"ids": [owned.media_id]}),
                                                stranger=deny(404, "NO_ACCESSIBLE_MEDIA")),
    ("GET", "/api/v2/media/{media_id}"): Row(lambda owned, who: Call(path_params={"media_id": owned.media_id}),
                                             stranger=NO_MEDIA),
    ("DELETE", "/api/v2/media/{media_id}"): Row(
        lambda owned, who: Call(path_params={"media_id": owned.doomed_media[who]}), stranger=NO_MEDIA),
    ("GET", "/api/v2/media/{media_id}/download"): Row(
        lambda owned, who: Call(path_params={"media_id": owned.media_id}), stranger=NO_MEDIA),
    ("GET", "/api/v2/media/{media_id}/credentials"): Row(
        lambda owned, who: Call(path_params={"media_id": owned.media_id}), stranger=NO_MEDIA),
    ("GET", "/api/v2/content-credentials/signer"): Row(plain()),
    # an admin reaches the check, which refuses a certificate that is not one (the key stays as it was)
    ("PUT", "/api/v2/content-credentials/signer"): Row(
        plain(json={"certificate_chain_pem": "not a certificate", "private_key_pem": "not a key"}), **ADMIN_ONLY),
    # a signed download link is its own credential: anyone holding it reads that one file
    ("GET", "/api/files/media/{media_id}"): Row(
        lambda owned, who: Call(path_params={"media_id": owned.media_id}, params=owned.signed_link), public=True),
    # recipes
    ("GET", "/api/v2/recipes"): Row(plain()),
    ("POST", "/api/v2/recipes"): Row(lambda owned, who: Call(json=admin_recipe()), owner=FORBIDDEN,
                                     stranger=FORBIDDEN, admin=OK),
    ("GET", "/api/v2/recipes/{recipe_id}"): Row(
        lambda owned, who: Call(path_params={"recipe_id": owned.recipe_id}), stranger=NO_RECIPE),
    ("POST", "/api/v2/recipes/{recipe_id}/run"): Row(
        lambda owned, who: Call(path_params={"recipe_id": owned.recipe_id},
                                json={"inputs": {"words": "hello"}, "execute": False}), stranger=NO_RECIPE),
    ("POST", "/api/v2/sessions/{session_id}/publish-recipe"): Row(
        session_path(json=publish_body("owner-republished")), stranger=NO_SESSION),
    # sharing: the owner manages shares; an invitation is answered by its invitee only
    ("POST", "/api/v2/session/{session_id}/share"): Row(
        session_path(json={"email": "collaborator@example.com", "role": "viewer", "monthly_credit_limit": 10}),
        stranger=NO_SESSION),
    ("GET", "/api/v2/session/{session_id}/shares"): Row(session_path(), stranger=NO_SESSION),
    ("PATCH", "/api/v2/session/share/{share_id}"): Row(
        lambda owned, who: Call(path_params={"share_id": owned.share_id}, json={"role": "runner"}),
        stranger=NO_SHARE),
    ("DELETE", "/api/v2/session/share/{share_id}"): Row(
        lambda owned, who: Call(path_params={"share_id": owned.doomed_shares[who]}), stranger=NO_SHARE),
    ("GET", "/api/v2/invitations"): Row(plain()),
    ("POST", "/api/v2/invitations/{share_id}/accept"): Row(
        lambda owned, who: Call(path_params={"share_id": owned.invitation_id}), stranger=NO_SHARE),
    ("POST", "/api/v2/invitations/{share_id}/decline"): Row(
        lambda owned, who: Call(path_params={"share_id": owned.invitation_id}), stranger=NO_SHARE),
    # models, LoRAs, GPU, voices: studio-wide
    ("GET", "/api/v2/models"): Row(plain()),
    ("GET", "/api/v2/models/runtime"): Row(plain()),
    ("GET", "/api/v2/models/importable"): Row(plain(), **ADMIN_ONLY),
    ("POST", "/api/v2/models/import"): Row(plain(json={"path": "/nonexistent/model.safetensors"}), **ADMIN_ONLY),
    ("GET", "/api/v2/models/{model_id}"): Row(plain(path_params={"model_id": "no-such-model"}), owner=REACHED,
                                              stranger=REACHED),
    ("DELETE", "/api/v2/models/{model_id}"): Row(plain(path_params={"model_id": "no-such-model"}), **ADMIN_ONLY),
    ("GET", "/api/v2/loras"): Row(plain()),
    ("POST", "/api/v2/loras/resolve"): Row(plain(json={"chain": []})),
    ("POST", "/api/v2/loras/resolve-by-filename"): Row(plain(json={"chain": []})),
    ("GET", "/api/v2/gpu/status"): Row(plain()),
    ("POST", "/api/v2/gpu/start"): Row(plain()),
    # Who may stop the shared runtime: the user who started it (the owner here) and admins.
    ("POST", "/api/v2/gpu/stop"): Row(plain(json={"mode": "graceful"}), stranger=FORBIDDEN, admin=OK),
    ("GET", "/api/v2/gpu/scheduler/health"): Row(plain()),
    # billing: every signed-in user reads their own balance, usage and GPU session (nothing of anyone else's)
    ("GET", "/api/v2/billing/balance"): Row(plain()),
    ("GET", "/api/v2/billing/usage-history"): Row(plain(params={"page": "1", "page_size": "10"})),
    ("GET", "/api/v2/billing/gpu-active"): Row(plain()),
    ("GET", "/api/v2/voices"): Row(plain()),
    ("GET", "/api/v2/voices/sample"): Row(plain(params={"voice": "espeak-ng:en-us"})),
    ("GET", "/api/v2/llm/models"): Row(plain()),
    # billing: top-ups, invoices, statements (each caller sees only their own; the matrix's studio has no
    # Stripe keys, so a checkout for an unknown pack is the call that passes authorization)
    ("GET", "/api/v2/billing/packs"): Row(plain()),
    ("POST", "/api/v2/billing/payment-intent"): Row(plain(json={"pack_id": "no-such-pack"}), owner=REACHED,
                                                    stranger=REACHED),
    # Stripe's webhook: no studio credential, authenticated by its signature (none here: refused alike)
    ("POST", "/api/v2/billing/stripe-webhook"): Row(plain(json={"id": "evt_1", "type": "checkout.session.completed"}),
                                                    owner=deny(400, "WEBHOOK_SIGNATURE_INVALID"), public=True),
    ("GET", "/api/v2/billing/invoices"): Row(plain()),
    ("GET", "/api/v2/billing/invoices/{invoice_id}/pdf"): Row(
        plain(path_params={"invoice_id": "no-such-invoice"}), owner=deny(404, "INVOICE_NOT_FOUND"),
        stranger=deny(404, "INVOICE_NOT_FOUND")),
    ("GET", "/api/v2/billing/statements"): Row(plain()),
    ("GET", "/api/v2/billing/statements/{month}/pdf"): Row(plain(path_params={"month": "2026-12"})),
    # AI Visual Studio v1 (its own envelope)
    ("POST", "/api/v1/keys"): Row(plain(json={"name": "matrix key", "scopes": ["read"]}), **AIVS_SESSION_ONLY),
    ("GET", "/api/v1/keys"): Row(plain(), **AIVS_SESSION_ONLY),
    ("DELETE", "/api/v1/keys/{key_id}"): Row(
        lambda owned, who: Call(path_params={"key_id": owned.aivs_key_id}), stranger=deny(404, "not_found"),
        **AIVS_SESSION_ONLY),
    ("POST", "/api/v1/webhooks"): Row(plain(json={"url": "https://matrix-hooks.example.com/in"}), **AIVS_KEYED),
    ("GET", "/api/v1/webhooks"): Row(plain(), **AIVS_KEYED),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): Row(owners_webhook(json={"description": "patched"}),
                                                    stranger=AIVS_NOT_FOUND, **AIVS_KEYED),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Row(
        lambda owned, who: Call(path_params={"webhook_id": owned.doomed_webhooks[who]}), stranger=AIVS_NOT_FOUND,
        **AIVS_KEYED),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Row(owners_webhook(), stranger=AIVS_NOT_FOUND, **AIVS_KEYED),
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): Row(owners_webhook(), stranger=AIVS_NOT_FOUND, **AIVS_KEYED),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Row(
        lambda owned, who: Call(path_params={"webhook_id": owned.webhook_id,
                                             "delivery_id": owned.webhook_delivery_id}),
        stranger=AIVS_NOT_FOUND, **AIVS_KEYED),
    # generations: the matrix's studio has no model installed, so a request passes authorization and is
    # refused for its model; a generation id is only ever the caller's own
    ("POST", "/api/v1/generate/image"): Row(plain(json={"prompt": "matrix"}), owner=REACHED, stranger=REACHED,
                                            **AIVS_KEYED),
    ("POST", "/api/v1/generate/video"): Row(plain(json={"prompt": "matrix", "duration": 1}), owner=REACHED,
                                            stranger=REACHED, **AIVS_KEYED),
    ("GET", "/api/v1/generations"): Row(plain(params={"limit": "10", "type": "image"}), **AIVS_KEYED),
    ("GET", "/api/v1/generations/{generation_id}"): Row(
        plain(path_params={"generation_id": "gen_000000000000000000000000"}), owner=NO_GENERATION,
        stranger=NO_GENERATION, **AIVS_KEYED),
    ("GET", "/api/v1/models"): Row(plain(params={"type": "image"}), **AIVS_KEYED),
    # published apps: the owner's app is private (others: not found); keys and the webhook secret are a
    # signed-in user's own (an API key cannot read or make them)
    ("POST", "/api/v2/sessions/{session_id}/publish-app"): Row(session_path(json=app_publish_body()),
                                                                stranger=NO_SESSION),
    ("GET", "/api/v2/apps"): Row(plain()),
    ("GET", "/api/v2/apps/webhook-secret"): Row(plain(), owner_key=deny(403, "INSUFFICIENT_SCOPE")),
    ("POST", "/api/v2/apps/keys"): Row(plain(json={"name": "matrix key"}), owner_key=deny(403, "INSUFFICIENT_SCOPE")),
    ("GET", "/api/v2/apps/{app_id}"): Row(owners_app(), stranger=NO_APP),
    ("PATCH", "/api/v2/apps/{app_id}"): Row(owners_app(json={"description": "patched"}), stranger=NO_APP),
    ("DELETE", "/api/v2/apps/{app_id}"): Row(
        lambda owned, who: Call(path_params={"app_id": owned.doomed_apps[who]}), stranger=NO_APP),
    ("GET", "/api/v2/apps/{app_id}/analytics"): Row(owners_app(), stranger=NO_APP),
    # the Magnific door (its envelope carries the studio's codes)
    ("GET", "/v1/ai/apps"): Row(plain()),
    ("GET", "/v1/ai/apps/{app_id}"): Row(owners_app(), stranger=NO_APP),
    ("POST", "/v1/ai/apps/{app_id}/run"): Row(owners_app(json={"inputs": {}}), stranger=NO_APP),
    ("GET", "/v1/ai/apps/runs/{run_id}"): Row(
        lambda owned, who: Call(path_params={"run_id": owned.app_run_id}), stranger=deny(404, "JOB_NOT_FOUND")),
    # Studii (its own envelope under the shared /api/v1): the matrix's studio bills nothing and has no model,
    # so a job is accepted (and fails on its own); a job id is only ever the caller's own
    ("POST", "/api/v1/jobs"): Row(plain(json={"tool": "studio", "inputs": {"prompt": "matrix"}}), owner=REACHED,
                                  stranger=REACHED, **STUDII_KEYED),
    ("GET", "/api/v1/jobs/{job_id}"): Row(plain(path_params={"job_id": "job_000000000000000000000000"}),
                                          owner=deny(404, "not_found"), stranger=deny(404, "not_found"),
                                          **STUDII_KEYED),
    ("POST", "/api/v1/uploads"): Row(plain(json={"filename": "matrix.jpg", "content_type": "image/jpeg"}),
                                     **STUDII_KEYED),
    # a signed upload's token is its own credential: a forged one is refused alike for everyone
    ("PUT", "/api/files/upload"): Row(plain(params={"token": "00000000-0000-0000-0000-000000000000.1.x"}),
                                      owner=deny(403, "SIGNED_URL_INVALID"), public=True),
    # plans: everyone reads their own; admins set anyone's (here a user that does not exist)
    ("GET", "/api/v2/account/plan"): Row(plain()),
    ("PUT", "/api/v2/users/{user_id}/plan"): Row(plain(path_params={"user_id": "no-such-user"},
                                                       json={"plan": "team"}), **ADMIN_ONLY),
    # Miraflow (/api): the seed's {"result": "failure"} envelope carries the studio's codes
    ("POST", "/api/keys"): Row(plain(json={"name": "matrix key", "scopes": ["read"]}),
                               owner_key=deny(403, "INSUFFICIENT_SCOPE")),
    ("POST", "/api/media/initialize"): Row(plain(json={"fileName": "matrix.png", "contentType": "image/png",
                                                        "fileSize": 1024})),
    # an upload id nobody made: unknown for every caller alike
    ("POST", "/api/media/finalize"): Row(plain(json={"mediaId": "00000000-0000-0000-0000-000000000000"}),
                                         owner=deny(404, "UPLOAD_NOT_FOUND"), stranger=deny(404, "UPLOAD_NOT_FOUND")),
    ("GET", "/api/media/{mediaId}/view"): Row(lambda owned, who: Call(path_params={"mediaId": owned.media_id}),
                                              stranger=NO_MEDIA),
    ("GET", "/api/avatars"): Row(plain()),
    ("GET", "/api/voices"): Row(plain()),
    # the owner's media is a tiny red square: the face check refuses it (after authorization)
    ("POST", "/api/avatar/create"): Row(lambda owned, who: Call(json={"name": "matrix", "mediaId": owned.media_id}),
                                        owner=REACHED, stranger=NO_MEDIA),
    # image jobs: the matrix's studio has no model (the job is accepted, then fails); media are the caller's own
    ("POST", "/api/image/generate"): Row(plain(json={"prompt": "matrix", "name": "matrix"})),
    ("POST", "/api/image/edit"): Row(lambda owned, who: Call(json={
        "referenceImageMediaId": owned.media_id, "prompt": "matrix", "name": "matrix"}), stranger=NO_MEDIA),
    ("POST", "/api/image/inpaint"): Row(lambda owned, who: Call(json={
        "originalImageMediaId": owned.media_id, "maskImageMediaId": owned.media_id, "prompt": "matrix",
        "name": "matrix"}), stranger=NO_MEDIA),
    ("POST", "/api/thumbnail/generate"): Row(plain(json={"prompt": "matrix", "name": "matrix"})),
    ("GET", "/api/thumbnail/{jobId}"): Row(plain(path_params={"jobId": "mf_000000000000000000000000"}),
                                           owner=NO_JOB, stranger=NO_JOB),
    ("GET", "/api/thumbnails"): Row(plain(params={"page": "1"})),
    ("POST", "/api/mockup/asset/generate"): Row(plain(json={"prompt": "matrix", "type": "logo"})),
    ("POST", "/api/mockup/asset/edit"): Row(lambda owned, who: Call(json={
        "imageMediaId": owned.media_id, "prompt": "invert", "type": "logo"}), stranger=NO_MEDIA),
    ("GET", "/api/mockup/assets"): Row(plain()),
    ("GET", "/api/mockup/{jobId}/status"): Row(plain(path_params={"jobId": "mf_000000000000000000000000"}),
                                               owner=NO_JOB, stranger=NO_JOB),
    ("GET", "/api/image/{jobId}"): Row(plain(path_params={"jobId": "mf_000000000000000000000000"}),
                                       owner=NO_JOB, stranger=NO_JOB),
    # product mockups (composited for real on the owner's image) and ad videos from saved mockups
    ("POST", "/api/mockup/generate"): Row(lambda owned, who: Call(json={
        "productMediaId": owned.media_id, "logoMediaIds": [owned.media_id],
        "layers": [{"assetId": "string", "x": 50, "y": 30, "scale": 1, "rotation": 0}],
        "instruction": "matrix"}), stranger=NO_MEDIA),
    ("GET", "/api/mockup/mockups"): Row(plain()),
    ("POST", "/api/mockup/video"): Row(plain(json={"mockupId": "mf_000000000000000000000000",
                                                   "animationStyle": "luxury_macro"}),
                                       owner=NO_MOCKUP, stranger=NO_MOCKUP),
    ("GET", "/api/mockup/videos"): Row(plain()),
    # Miraflow talking-avatar videos: a stock avatar with an unknown voice is refused before any job; a video id
    # is only ever the caller's own job
    ("POST", "/api/video/create"): Row(
        plain(json={"avatarId": "stock-grace-hopper", "name": "matrix", "text": "matrix", "voiceId": "no-such-voice"}),
        owner=deny(400, "VOICE_NOT_FOUND"), stranger=deny(400, "VOICE_NOT_FOUND")),
    ("GET", "/api/video/{jobId}/status"): Row(plain(path_params={"jobId": "mf_000000000000000000000000"}),
                                              owner=deny(404, "JOB_NOT_FOUND"), stranger=deny(404, "JOB_NOT_FOUND")),
    ("GET", "/api/videos"): Row(plain()),
    ("GET", "/api/video/{id}"): Row(plain(path_params={"id": "mf_000000000000000000000000"}),
                                    owner=deny(404, "VIDEO_NOT_FOUND"), stranger=deny(404, "VIDEO_NOT_FOUND")),
    ("GET", "/api/video/{id}/download"): Row(plain(path_params={"id": "mf_000000000000000000000000"}),
                                             owner=deny(404, "VIDEO_NOT_FOUND"), stranger=deny(404, "VIDEO_NOT_FOUND")),
}


def openapi_operations(app_openapi: dict[str, Any]) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "patch", "delete", "head", "options"}
    return {(method.upper(), path) for path, item in app_openapi["paths"].items()
            for method in item if method in methods}


def transport(app: Any) -> httpx.ASGITransport:
    """The app over HTTP in-process; a server error is answered (and counted), not raised."""
    return httpx.ASGITransport(app=app, raise_app_exceptions=False)


# -- the callers ---------------------------------------------------------------------------------------
def jwt_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def tampered(token: str, sub: str) -> str:
    """The owner's token with its subject changed and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": sub}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


class Callers:
    """The credentials each identity sends; renewed after rows that change credentials."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.bearer: dict[str, str] = {}
        self.emails = {OWNER: "owner@example.com", OTHER: "stranger@example.com", ADMIN: "admin@example.com"}

    async def login(self, email: str) -> str:
        r = await self.client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
        self.client.cookies.clear()
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token

    async def as_(self, who: str, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**kw.pop("headers", {})}
        if who in self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer[who]}"
        try:
            return await self.client.request(method, url, headers=headers, **kw)
        finally:
            self.client.cookies.clear()

    async def sign_in_all(self) -> None:
        for who, email in self.emails.items():
            self.bearer[who] = await self.login(email)

    async def set_up(self, studio: Studio) -> None:
        accounts = studio.accounts
        owner = accounts.create_user(self.emails[OWNER], PASSWORD)
        accounts.create_user(self.emails[OTHER], PASSWORD)
        admin = accounts.create_user(self.emails[ADMIN], PASSWORD, admin=True)
        accounts.create_user("probe@example.com", PASSWORD)
        disabled = accounts.create_user("disabled@example.com", PASSWORD)
        await self.sign_in_all()
        # The owner's key, after a first one was replaced.
        self.bearer[REPLACED_KEY] = accounts.regenerate_api_key(owner.id).api_key or ""
        self.bearer[OWNER_KEY] = accounts.regenerate_api_key(owner.id).api_key or ""
        self.bearer[DISABLED_KEY] = accounts.regenerate_api_key(disabled.id).api_key or ""
        accounts.set_api_key_enabled(disabled.id, False)
        claims = jwt_claims(self.bearer[OWNER])
        now = int(time.time())
        self.bearer[WRONG_KEY_JWT] = jwt.encode({**claims, "iat": now, "exp": now + 3600},
                                                "wrong-secret-key-0123456789abcdef012345", algorithm="HS256")
        self.bearer[EXPIRED_JWT] = jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600},
                                              self.settings.jwt_secret(), algorithm="HS256")
        self.bearer[TAMPERED_JWT] = tampered(self.bearer[OWNER], admin.id)

    async def renew(self, who: str, answer: httpx.Response) -> None:
        """After logout or a key regenerate: sign the caller in again (the owner for either of the
        owner's credentials), and keep the owner's newest key. Few sign-ins: they may be throttled."""
        user = OWNER if who in OWNERS else who
        if user in self.emails:
            self.bearer[user] = await self.login(self.emails[user])
        if who in OWNERS and answer.status_code == 200 and "api_key" in answer.json():
            self.bearer[OWNER_KEY] = answer.json()["api_key"]


async def build_owned(callers: Callers, studio: Studio) -> Owned:
    prompt = f"owner-secret-prompt-{uuid.uuid4().hex}"

    async def owner(method: str, url: str, **kw: Any) -> Any:
        r = await callers.as_(OWNER, method, url, **kw)
        assert r.status_code < 300, f"{method} {url}: {r.status_code} {r.text}"
        return r.json()

    session = await owner("POST", "/api/v2/sessions", json={"name": "Owner's secret session"})
    saved = await owner("PUT", f"/api/v2/sessions/{session['id']}/flow",
                        json={"graph": owner_graph(prompt), "version": session["version"]})
    run = await owner("POST", "/api/v2/session/execute", json={"mode": "full"},
                      headers={"X-Session-ID": session["id"], **WAIT})
    assert run["status"] == "succeeded", run
    media = await owner("POST", "/api/v2/media/upload", params={"session_id": session["id"]},
                        files={"file": ("owner-secret.png", PNG, "image/png")})
    recipe_id = f"owner-secret-{uuid.uuid4().hex[:8]}"
    await owner("POST", f"/api/v2/sessions/{session['id']}/publish-recipe", json=publish_body(recipe_id))
    aivs_key = await owner("POST", "/api/v1/keys", json={"name": "owner's AIVS key", "scopes": ["read"]})
    owned = Owned(owner_id=jwt_claims(callers.bearer[OWNER])["sub"], owner_email=callers.emails[OWNER],
                  session_id=session["id"], version=saved["version"], run_id=run["run_id"], media_id=media["id"],
                  recipe_id=recipe_id, prompt=prompt, aivs_key_id=aivs_key["id"])
    link = studio.signed_urls.sign(owned.media_id)
    owned.signed_link = {"expires": str(link.expires), "signature": link.signature}
    for who in IDENTITIES:
        doomed = await owner("POST", "/api/v2/sessions", json={"name": f"to delete by {who}"})
        owned.doomed[who] = doomed["id"]
        share = await owner("POST", f"/api/v2/session/{session['id']}/share",
                            json={"email": f"doomed-{len(owned.doomed_shares)}@example.com", "role": "editor"})
        owned.doomed_shares[who] = share["id"]
    webhook = await owner("POST", "/api/v1/webhooks", json={"url": "https://owner-hooks.example.com/in",
                                                          "description": f"owner's hook {prompt}"})
    owned.webhook_id, owned.webhook_secret = webhook["id"], webhook["secret"]
    for who in IDENTITIES:
        owned.doomed_media[who] = (await owner("POST", "/api/v2/media/upload", params={"session_id": session["id"]},
                                               files={"file": ("doomed.png", PNG, "image/png")}))["id"]
    await owner("POST", f"/api/v1/webhooks/{owned.webhook_id}/test")
    owned.webhook_delivery_id = (await owner("GET", f"/api/v1/webhooks/{owned.webhook_id}/deliveries"))["data"][0]["id"]
    for who in IDENTITIES:
        owned.doomed_webhooks[who] = (await owner("POST", "/api/v1/webhooks", json={
            "url": f"https://owner-hooks.example.com/doomed/{len(owned.doomed_webhooks)}"}))["id"]
    owned.app_id = (await owner("POST", f"/api/v2/sessions/{session['id']}/publish-app", json=app_publish_body()))["id"]
    owned.app_run_id = (await owner("POST", f"/v1/ai/apps/{owned.app_id}/run", json={"inputs": {}}))["data"]["run_id"]
    owned.app_webhook_secret = (await owner("GET", "/api/v2/apps/webhook-secret"))["secret"]
    for who in IDENTITIES:
        owned.doomed_apps[who] = (await owner("POST", f"/api/v2/sessions/{session['id']}/publish-app",
                                              json=app_publish_body()))["id"]
    owned.share_id = (await owner("POST", f"/api/v2/session/{session['id']}/share",
                                  json={"email": "probe@example.com", "role": "viewer"}))["id"]
    # Someone else's session, shared with the owner: the owner's invitation to answer.
    probe = {"Authorization": f"Bearer {await callers.login('probe@example.com')}"}
    theirs = (await callers.client.post("/api/v2/sessions", json={"name": "Probe's session"}, headers=probe)).json()
    invited = await callers.client.post(f"/api/v2/session/{theirs['id']}/share", headers=probe,
                                        json={"email": callers.emails[OWNER], "role": "viewer"})
    assert invited.status_code == 201, invited.text
    owned.invitation_id = invited.json()["id"]
    return owned


# -- raw ASGI for endless responses ---------------------------------------------------------------------
async def asgi_head(app: Any, method: str, path: str, params: dict[str, str],
                    headers: dict[str, str]) -> httpx.Response:
    """Status and first body chunk of a streaming response, then a client disconnect."""
    asked = False
    disconnect = asyncio.Event()
    got_body = asyncio.Event()
    status = 0
    body = bytearray()
    response_headers: list[tuple[bytes, bytes]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.extend(message.get("headers", []))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if body or not message.get("more_body", False):
                got_body.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": urlencode(params).encode(), "client": ("127.0.0.1", 50000),
             "server": ("studio.test", 80),
             "headers": [(b"host", b"studio.test"), *((k.lower().encode(), v.encode()) for k, v in headers.items())]}
    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(got_body.wait(), 15)
    finally:
        disconnect.set()
        try:
            await asyncio.wait_for(task, 5)
        except TimeoutError:
            task.cancel()
    return httpx.Response(status, headers=[(k.decode(), v.decode()) for k, v in response_headers],
                          content=bytes(body), request=httpx.Request(method, f"{BASE_URL}{path}"))


# -- the tests ------------------------------------------------------------------------------------------
@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The matrix's studio: the owner's key makes more than a minute's worth of requests (rate limits are
    tested in tests/keys)."""
    return make_settings(tmp_path, api_key_rate_limit_per_minute=100_000)


def test_every_route_has_a_row(settings: Settings, figures: Figures) -> None:
    operations = openapi_operations(create_app(settings).openapi())
    figures.add("routes", len(operations))
    missing = sorted(operations - ROWS.keys())
    stale = sorted(ROWS.keys() - operations)
    assert not missing, f"routes without a row in the authorization matrix (add one to ROWS): {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert all(path.startswith(DOORS) for _, path in operations), "a route outside the known doors"


@pytest.mark.timeout(120)
async def test_authorization_matrix(studio: Studio, figures: Figures) -> None:
    app = create_app(studio.settings, studio)
    async with httpx.AsyncClient(transport=transport(app), base_url=BASE_URL, timeout=60) as client:
        callers = Callers(client, studio.settings)
        await callers.set_up(studio)
        owned = await build_owned(callers, studio)
        secrets = owned.secrets()
        operations = openapi_operations(app.openapi())
        rows = sorted((key for key in ROWS if key in operations), key=lambda key: ROWS[key].changes_credentials)
        failures: dict[str, list[str]] = {}
        leaks: list[str] = []
        cells = 0
        for method, template in rows:
            row = ROWS[(method, template)]
            for who in IDENTITIES:
                if template == "/api/v2/gpu/stop":  # the runtime runs, started by the owner
                    await callers.as_(ADMIN, "POST", "/api/v2/gpu/stop", json={"mode": "graceful"})
                    await callers.as_(OWNER, "POST", "/api/v2/gpu/start")
                call = row.fill(owned, who)
                path = template.format(**call.path_params)
                answer = await send(app, callers, who, method, path, call, row.stream)
                cells += 1
                problem = row.expected(who).check(answer)
                if problem:
                    failures.setdefault(f"as {who}: {problem}", []).append(f"{method} {template}")
                if who not in OWNERS:
                    asked = f"{path} {call.params} {json.dumps(call.json)} {call.headers}"
                    for what, secret in secrets.items():
                        if secret in answer.text and secret not in asked:
                            leaks.append(f"{method} {template} as {who} received the owner's {what}")
                if method == "PUT" and template.endswith("flow") and answer.status_code == 200:
                    owned.version = answer.json()["version"]
                if template in REVOKING and who in callers.emails and answer.status_code == 200:
                    after = await callers.as_(who, "GET", "/api/v2/auth/me")  # the same token, now revoked
                    if after.status_code != 401:
                        failures.setdefault(f"{template} does not revoke the token", []).append(who)
                if row.changes_credentials:
                    await callers.renew(who, answer)
        # The stranger's attempts to delete the owner's sessions removed nothing.
        lost = []
        for who, session_id in owned.doomed.items():
            r = await callers.as_(OWNER, "GET", f"/api/v2/sessions/{session_id}")
            if (r.status_code == 200) != (who not in OWNERS):
                lost.append(f"session to delete by {who}: {r.status_code}")
        hooks = (await callers.as_(OWNER, "GET", "/api/v1/webhooks")).json()["data"]
        for who, webhook_id in owned.doomed_webhooks.items():
            if any(hook["id"] == webhook_id for hook in hooks) != (who not in OWNERS):
                lost.append(f"webhook to delete by {who}")
        for key in (DISABLED_KEY, REPLACED_KEY):  # the documented code, with the finer reason in details
            r = await callers.as_(key, "GET", "/api/v2/auth/me")
            details = r.json().get("details") or {}
            if not (r.status_code == 401 and isinstance(details.get("reason"), str) and details["reason"]):
                failures.setdefault(f"as {key}: no details.reason on the 401", []).append(r.text[:200])
    figures.add("route_identity_cells", cells)
    figures.add("leaks", len(leaks))
    figures.add("data_lost", len(lost))
    if leaks or lost or failures:
        pytest.fail("\n".join([*(f"LEAK: {leak}" for leak in leaks), *(f"LOST: {item}" for item in lost),
                               f"{sum(map(len, failures.values()))} of {cells} cells failed:",
                               *(f"{problem} on {len(where)} route(s), e.g. {where[:3]}"
                                 for problem, where in failures.items())]), pytrace=False)


async def send(app: Any, callers: Callers, who: str, method: str, path: str, call: Call,
               stream: bool) -> httpx.Response:
    if stream:
        headers = {**call.headers}
        if who in callers.bearer:
            headers["Authorization"] = f"Bearer {callers.bearer[who]}"
        return await asgi_head(app, method, path, call.params, headers)
    kw: dict[str, Any] = {"params": call.params or None, "headers": call.headers}
    if call.json is not None:
        kw["json"] = call.json
    if call.files is not None:
        kw["files"] = call.files
    return await callers.as_(who, method, path, **kw)

