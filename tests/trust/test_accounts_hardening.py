"""Accounts (issue 9): password guessing is throttled per account and address without locking the real
user out; sign-out and password change revoke tokens; auth failures answer the seed's documented codes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from conftest import PASSWORD, Api
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

ORIGIN = "http://studio.test"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Small limits; per minute unless a test asks for a window short enough to outwait."""
    window = getattr(request, "param", "minute")
    return settings.model_copy(update={"login_attempts_per_account": f"3 per {window}",
                                       "login_attempts_per_client": f"6 per {window}",
                                       "login_attempts_per_account_total": f"5 per {window}"})


def error_of(r: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = r.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    return body


def from_address(studio: Studio, address: str, settings: Settings | None = None) -> httpx.AsyncClient:
    app = create_app(settings or studio.settings, studio)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url=ORIGIN)


async def sign_in(c: httpx.AsyncClient, email: str, password: str, **headers: str) -> httpx.Response:
    return await c.post("/api/v2/auth/login", json={"email": email, "password": password}, headers=headers)


def assert_throttled(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert error_of(r)["code"] == "TOO_MANY_LOGIN_ATTEMPTS"
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert error_of(r)["details"]["retry_after"] == retry_after


# -- sign-in throttle ---------------------------------------------------------------------------
@pytest.mark.parametrize("settings", ["5 seconds"], indirect=True)
async def test_guessing_one_account_is_throttled_but_its_owner_still_signs_in(studio: Studio) -> None:
    studio.accounts.create_user("victim@example.com", PASSWORD)
    async with from_address(studio, "203.0.113.7") as attacker, from_address(studio, "198.51.100.2") as owner:
        for _ in range(3):
            r = await sign_in(attacker, "victim@example.com", "guess-guess")
            assert r.status_code == 401 and error_of(r)["details"]["reason"] == "invalid_credentials"
        assert_throttled(await sign_in(attacker, "victim@example.com", "guess-guess"))
        # Even the right password waits at the throttled address: the throttle is no oracle.
        r = await sign_in(attacker, "victim@example.com", PASSWORD)
        assert_throttled(r)
        assert int(r.headers["retry-after"]) <= 5
        # The owner, from a clean address, is not locked out.
        assert (await sign_in(owner, "victim@example.com", PASSWORD)).status_code == 200
        # After the window, the address may try again.
        await asyncio.sleep(int(r.headers["retry-after"]) + 0.2)
        assert (await sign_in(attacker, "victim@example.com", PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_throttled(studio: Studio) -> None:
    for n in range(4):
        studio.accounts.create_user(f"u{n}@example.com", PASSWORD)
    async with from_address(studio, "203.0.113.8") as attacker, from_address(studio, "198.51.100.3") as other:
        for n in range(6):  # 6 per 2 s per address, spread over accounts (and unknown emails)
            email = f"u{n % 4}@example.com" if n % 2 else f"nobody{n}@example.com"
            assert (await sign_in(attacker, email, "wrong-password")).status_code == 401
        assert_throttled(await sign_in(attacker, "u3@example.com", "wrong-password"))
        assert (await sign_in(other, "u3@example.com", PASSWORD)).status_code == 200


async def test_account_wide_limit_is_soft(studio: Studio) -> None:
    """Many addresses guessing one account: those that failed wait, a clean address may still sign in."""
    studio.accounts.create_user("popular@example.com", PASSWORD)
    attackers = [from_address(studio, f"203.0.113.{n}") for n in (20, 21, 22)]
    try:
        for c, tries in zip(attackers, (2, 2, 1), strict=True):
            for _ in range(tries):
                assert (await sign_in(c, "popular@example.com", "nope-nope")).status_code == 401
        # 5 failures on the account: the addresses that failed must wait, even below their own limit.
        assert_throttled(await sign_in(attackers[2], "popular@example.com", "nope-nope"))
        async with from_address(studio, "198.51.100.9") as owner:
            assert (await sign_in(owner, "popular@example.com", PASSWORD)).status_code == 200
    finally:
        for c in attackers:
            await c.aclose()


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(studio: Studio, settings: Settings) -> None:
    studio.accounts.create_user("x@example.com", PASSWORD)
    # Untrusted peer: rotating X-Forwarded-For does not give fresh counters.
    async with from_address(studio, "203.0.113.30") as c:
        for n in range(3):
            await sign_in(c, "x@example.com", "wrong-password", **{"X-Forwarded-For": f"10.0.0.{n}"})
        assert_throttled(await sign_in(c, "x@example.com", PASSWORD, **{"X-Forwarded-For": "10.0.0.99"}))
    # Behind a trusted proxy, each forwarded client has its own counter.
    proxied = settings.model_copy(update={"trusted_proxies": ["192.0.2.1"]})
    async with from_address(studio, "192.0.2.1", proxied) as proxy:
        for _ in range(3):
            await sign_in(proxy, "x@example.com", "wrong-password", **{"X-Forwarded-For": "203.0.113.31"})
        assert_throttled(await sign_in(proxy, "x@example.com", PASSWORD, **{"X-Forwarded-For": "203.0.113.31"}))
        ok = await sign_in(proxy, "x@example.com", PASSWORD, **{"X-Forwarded-For": "203.0.113.31, 192.0.2.1"})
        assert ok.status_code == 429  # the proxy itself is skipped: still the same client
        assert (await sign_in(proxy, "x@example.com", PASSWORD, **{"X-Forwarded-For": "198.51.100.4"})).status_code \
            == 200


async def test_password_change_guesses_are_throttled(api: Api) -> None:
    for _ in range(3):
        r = await api.post("/api/v2/account/password", json={"current_password": "not-it-at-all",
                                                              "new_password": "brand-new-password"})
        assert r.status_code == 401 and error_of(r)["details"]["reason"] == "wrong_current_password"
    r = await api.post("/api/v2/account/password", json={"current_password": PASSWORD,
                                                          "new_password": "brand-new-password"})
    assert_throttled(r)
    assert (await api.get("/api/v2/auth/me")).status_code == 200  # the guesses did not sign anyone out


# -- revocation -----------------------------------------------------------------------------------
async def test_logout_revokes_that_token_only(studio: Studio, client: httpx.AsyncClient,
                                              make_user: Callable[..., Any]) -> None:
    api: Api = await make_user("multi@example.com")
    second = (await sign_in(client, "multi@example.com", PASSWORD)).json()["token"]
    client.cookies.clear()
    r = await api.post("/api/v2/auth/logout")
    assert r.status_code == 200
    gone = await api.get("/api/v2/auth/me")
    assert gone.status_code == 401 and error_of(gone)["code"] == "UNAUTHORIZED"
    assert error_of(gone)["details"] == {"reason": "token_revoked"}
    other = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {second}"})
    assert other.status_code == 200  # another device stays signed in

    # The web page's cookie: signing out revokes the cookie's token, not just the cookie.
    r = await sign_in(client, "multi@example.com", PASSWORD)
    cookie_token = r.json()["token"]
    assert client.cookies.get("mas_token") == cookie_token
    assert (await client.post("/api/v2/auth/logout", headers={"Origin": ORIGIN})).status_code == 200
    assert "mas_token" not in client.cookies
    replayed = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {cookie_token}"})
    assert replayed.status_code == 401 and error_of(replayed)["details"]["reason"] == "token_revoked"


async def test_password_change_revokes_every_other_login(studio: Studio, client: httpx.AsyncClient,
                                                         make_user: Callable[..., Any]) -> None:
    api: Api = await make_user("mover@example.com")
    other = (await sign_in(client, "mover@example.com", PASSWORD)).json()["token"]
    client.cookies.clear()
    r = await api.post("/api/v2/account/password", json={"current_password": PASSWORD,
                                                          "new_password": "a-new-password-9"})
    assert r.status_code == 200, r.text
    fresh = r.json()["token"]
    assert "set-cookie" not in r.headers  # a bearer client gets the token in the body, not a cookie
    for stale in (api.token, other):
        denied = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {stale}"})
        assert denied.status_code == 401 and error_of(denied)["details"]["reason"] == "token_revoked"
    assert (await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200
    assert (await sign_in(client, "mover@example.com", PASSWORD)).status_code == 401
    assert (await sign_in(client, "mover@example.com", "a-new-password-9")).status_code == 200
    weak = await client.post("/api/v2/account/password", headers={"Authorization": f"Bearer {fresh}"},
                             json={"current_password": "a-new-password-9", "new_password": "short"})
    assert weak.status_code == 422


async def test_password_change_in_the_browser_keeps_that_browser_signed_in(studio: Studio,
                                                                           client: httpx.AsyncClient) -> None:
    studio.accounts.create_user("web@example.com", PASSWORD)
    client.cookies.clear()
    await sign_in(client, "web@example.com", PASSWORD, Origin=ORIGIN)
    r = await client.post("/api/v2/account/password", headers={"Origin": ORIGIN},
                          json={"current_password": PASSWORD, "new_password": "web-new-password"})
    assert r.status_code == 200, r.text
    assert client.cookies.get("mas_token") == r.json()["token"]
    assert (await client.get("/api/v2/auth/me")).status_code == 200


async def test_expired_and_forged_tokens_answer_the_seed_code(studio: Studio, client: httpx.AsyncClient,
                                                              api: Api, settings: Settings) -> None:
    claims = jwt.decode(api.token, options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, settings.secret_key, algorithm="HS256")
    for token, reason in ((expired, "token_expired"), ("a.b.c", "invalid_token"), ("mas_nope", "invalid_api_key")):
        r = await client.get("/api/v2/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED", r.text
        assert error_of(r)["details"] == {"reason": reason}
        assert r.headers["www-authenticate"] == "Bearer"
    r = await client.get("/api/v2/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert error_of(r)["code"] == "UNAUTHORIZED"
    assert error_of(r)["details"] == {"reason": "malformed_authorization_header"}
    r = await client.get("/api/v2/auth/me")
    assert error_of(r)["code"] == "AUTHORIZATION_HEADER_REQUIRED"


async def test_replaced_and_disabled_api_keys_answer_the_seed_code(api: Api, client: httpx.AsyncClient) -> None:
    key = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    await api.put("/api/v2/account/api-key", json={"enabled": False})
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        r = await client.get("/api/v2/auth/me", headers=headers)
        assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"
        assert error_of(r)["details"] == {"reason": "api_key_disabled"}
    await api.post("/api/v2/account/api-key/regenerate")
    r = await client.get("/api/v2/auth/me", headers={"X-API-Key": key})
    assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"
    assert error_of(r)["details"] == {"reason": "invalid_api_key"}
    # The same answers when a body is refused before it is read (EarlyAuthentication).
    r = await client.post("/api/v2/sessions", json={"name": "x"}, headers={"X-API-Key": key})
    assert r.status_code == 401 and error_of(r)["details"] == {"reason": "invalid_api_key"}
