"""Sign-in, tokens, cookies and personal API keys, through the real app."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from conftest import PASSWORD, Api
from miniaistudio.store.tables import User
from miniaistudio.studio import Studio

from .conftest import error_of

PUBLIC = {("GET", "/api/v2/ping"), ("POST", "/api/v2/auth/login"),
          # authenticated by a signature instead of a studio credential (tests/webhooks, tests/billing_stripe)
          ("GET", "/api/files/media/{media_id}"), ("POST", "/api/v2/billing/stripe-webhook")}


async def test_login_returns_jwt_and_httponly_cookie(studio: Studio, client: httpx.AsyncClient) -> None:
    studio.accounts.create_user("Alice@Example.com", PASSWORD)
    r = await client.post("/api/v2/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert token.count(".") == 2  # a JWT
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"mas_token={token}")
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    me = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["email"] == "alice@example.com"
    assert me.json()["via_api_key"] is False


async def test_cookie_signs_in_the_web_page_and_logout_clears_it(studio: Studio, client: httpx.AsyncClient) -> None:
    studio.accounts.create_user("web@example.com", PASSWORD)
    client.cookies.clear()
    r = await client.post("/api/v2/auth/login", json={"email": "web@example.com", "password": PASSWORD})
    assert r.status_code == 200
    assert "mas_token" in client.cookies
    me = await client.get("/api/v2/auth/me")  # no Authorization header: the cookie alone
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "web@example.com"
    out = await client.post("/api/v2/auth/logout", headers={"Origin": "http://studio.test"})  # as a browser does
    assert out.status_code == 200
    assert "mas_token" not in client.cookies
    gone = await client.get("/api/v2/auth/me")
    assert gone.status_code == 401 and error_of(gone)["code"] == "AUTHORIZATION_HEADER_REQUIRED"


async def test_a_signed_out_token_is_refused_at_once_though_just_verified(
        make_user: Callable[..., Any]) -> None:
    """Verified tokens are remembered for a moment (no database on the hot path); signing out forgets them."""
    user: Api = await make_user("dora@example.com")
    for _ in range(2):  # the second answer comes from the remembered check
        assert (await user.get("/api/v2/auth/me")).status_code == 200
    assert (await user.post("/api/v2/auth/logout")).status_code == 200
    me = await user.get("/api/v2/auth/me")
    created = await user.post("/api/v2/sessions", json={"name": "x"})  # a body: checked before it is read
    for r in (me, created):
        assert r.status_code == 401 and error_of(r)["details"]["reason"] == "token_revoked", r.text


async def test_wrong_password_and_unknown_user(studio: Studio, client: httpx.AsyncClient) -> None:
    studio.accounts.create_user("bob@example.com", PASSWORD)
    for email, password in (("bob@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)):
        r = await client.post("/api/v2/auth/login", json={"email": email, "password": password})
        assert r.status_code == 401
        assert error_of(r)["code"] == "UNAUTHORIZED"  # the seed's code; the finer reason in details
        assert error_of(r)["details"]["reason"] == "invalid_credentials"
        assert "set-cookie" not in r.headers
        assert r.headers.get("www-authenticate") == "Bearer"


async def test_missing_and_bad_credentials(client: httpx.AsyncClient, api: Api) -> None:
    r = await client.get("/api/v2/sessions")
    assert r.status_code == 401 and error_of(r)["code"] == "AUTHORIZATION_HEADER_REQUIRED"
    for header in ("Bearer not-a-jwt", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer mas_nope",
                   f"Bearer {api.token}x"):
        r = await client.get("/api/v2/sessions", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert error_of(r)["code"] in ("UNAUTHORIZED", "AUTHORIZATION_HEADER_REQUIRED"), header
    r = await client.get("/api/v2/sessions", headers={"Authorization": "Bearer not-a-jwt"})
    assert error_of(r)["code"] == "UNAUTHORIZED"
    # A token signed with another key is refused.
    import jwt

    forged = jwt.encode({"sub": str(uuid.uuid4()), "gen": 0, "exp": 4_000_000_000}, "another-secret-key-of-32-bytes!!",
                        algorithm="HS256")
    r = await client.get("/api/v2/sessions", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"


def _fill_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_endpoint_but_ping_and_login_requires_auth(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    checked = 0
    for path, methods in schema["paths"].items():
        for method in methods:
            if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                continue
            if (method.upper(), path) in PUBLIC or not path.startswith("/api/v2/"):
                continue  # other doors answer in their own envelope (tests/keys)
            r = await client.request(method.upper(), _fill_path(path),
                                     headers={"X-Session-ID": str(uuid.uuid4())})
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert error_of(r)["code"] == "AUTHORIZATION_HEADER_REQUIRED", (method, path)
            checked += 1
    assert checked >= 20
    ping = await client.get("/api/v2/ping")
    assert ping.status_code == 200 and ping.json()["status"] == "ok"


async def test_password_change_signs_out_old_tokens(studio: Studio, make_user: Callable[..., Any],
                                                    client: httpx.AsyncClient) -> None:
    user: Api = await make_user("carol@example.com")
    assert (await user.get("/api/v2/auth/me")).status_code == 200
    studio.accounts.set_password("carol@example.com", "a-brand-new-password")
    r = await user.get("/api/v2/auth/me")
    assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"
    old = await client.post("/api/v2/auth/login", json={"email": "carol@example.com", "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/v2/auth/login",
                            json={"email": "carol@example.com", "password": "a-brand-new-password"})
    assert new.status_code == 200
    client.cookies.clear()
    me = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {new.json()['token']}"})
    assert me.status_code == 200


# -- API keys ------------------------------------------------------------------------------------------

def _db_bytes(studio: Studio) -> bytes:
    data_dir = studio.settings.data_dir
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("studio.db*")) if p.is_file())


async def test_api_key_lifecycle(studio: Studio, api: Api, client: httpx.AsyncClient) -> None:
    r = await api.get("/api/v2/account/api-key")
    assert r.status_code == 200
    assert r.json() == {"enabled": False, "has_key": False, "prefix": None, "created_at": None}

    # Enabling issues a key: the full secret is in this response only.
    r = await api.put("/api/v2/account/api-key", json={"enabled": True})
    assert r.status_code == 200, r.text
    body = r.json()
    key = body["api_key"]
    assert key.startswith("mas_") and len(key) > 40
    assert body["enabled"] is True and key.startswith(body["prefix"]) and body["prefix"] != key

    status = (await api.get("/api/v2/account/api-key")).json()
    assert status["enabled"] is True and status["prefix"] == body["prefix"]
    assert "api_key" not in status and key not in str(status)
    # Re-enabling does not show (or change) the secret again.
    again = (await api.put("/api/v2/account/api-key", json={"enabled": True})).json()
    assert "api_key" not in again and key not in str(again)

    # Only a hash is stored.
    with studio.db.session() as s:
        row = s.scalar(select(User).where(User.email == api.email))
        assert row is not None
        stored = " ".join(str(v) for v in row.__dict__.values())
    assert key not in stored
    assert key.encode() not in _db_bytes(studio)

    # The key authenticates as its owner, in the Authorization header or X-API-Key.
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        me = await client.get("/api/v2/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == api.email and me.json()["via_api_key"] is True
    session = await api.new_session("via token")
    listed = await client.get("/api/v2/sessions", headers={"Authorization": f"Bearer {key}"})
    assert [s["id"] for s in listed.json()["items"]] == [session["id"]]

    # Disabled: refused with the seed's code and the reason in details.
    r = await api.put("/api/v2/account/api-key", json={"enabled": False})
    assert r.json()["enabled"] is False
    denied = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert denied.status_code == 401 and error_of(denied)["code"] == "UNAUTHORIZED"
    assert error_of(denied)["details"] == {"reason": "api_key_disabled"}

    # Regenerate: a new secret once, the old one stops working, the new one works (and is enabled).
    r = await api.post("/api/v2/account/api-key/regenerate")
    assert r.status_code == 200, r.text
    new_key = r.json()["api_key"]
    assert new_key.startswith("mas_") and new_key != key and r.json()["enabled"] is True
    old = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert old.status_code == 401 and error_of(old)["code"] == "UNAUTHORIZED"
    assert error_of(old)["details"] == {"reason": "invalid_api_key"}
    ok = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {new_key}"})
    assert ok.status_code == 200 and ok.json()["email"] == api.email
    assert new_key not in str((await api.get("/api/v2/account/api-key")).json())
    assert new_key.encode() not in _db_bytes(studio)


async def test_api_key_is_scoped_to_its_owner(make_user: Callable[..., Any], client: httpx.AsyncClient) -> None:
    alice: Api = await make_user()
    bob: Api = await make_user()
    a_session = await alice.new_session("alice's")
    key = (await bob.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    r = await client.get(f"/api/v2/sessions/{a_session['id']}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404 and error_of(r)["code"] == "SESSION_NOT_FOUND"


async def test_api_key_body_is_validated(api: Api) -> None:
    r = await api.put("/api/v2/account/api-key", json={"enabled": "maybe"})
    assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST"
    r = await api.put("/api/v2/account/api-key", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST"
