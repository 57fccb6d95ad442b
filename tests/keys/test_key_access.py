"""The key matrix through the real app: missing, malformed, bad-checksum, unknown, revoked, disabled and
expired keys; each scope; the three headers a key may come in; IP allowlists (IPv4, IPv6, IPv4-mapped)
with X-Forwarded-For believed only from trusted proxies; key management refused to API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from conftest import Api
from miniaistudio.core.policy import AIVS_SCOPES
from miniaistudio.services.api_key_format import KeyKind, checksum, new_key
from miniaistudio.store.tables import ApiKey
from miniaistudio.studio import Studio

from .conftest import PROBE, aivs_error, app_client, bearer, create_key

ALL_SCOPES = [scope.value for scope in AIVS_SCOPES]
BACKGROUND = ("webhook_deliveries", "gpu_billing_sessions")


@contextmanager
def statements(studio: Studio) -> Iterator[list[str]]:
    """The SQL the studio runs for requests inside the block (observed on the real engine); the WAL
    checkpointer's pragmas and the background loops' polls (webhook dispatcher, GPU billing) aside."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("PRAGMA") or any(table in statement for table in BACKGROUND):
            return
        seen.append(statement)

    event.listen(studio.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(studio.db.engine, "before_cursor_execute", record)


async def test_missing_and_invalid_keys_answer_each_door_in_its_own_envelope(studio: Studio, api: Api) -> None:
    async with app_client(studio) as c:
        r = await c.get(f"{PROBE}/read")
        assert r.status_code == 401 and aivs_error(r)["code"] == "missing_api_key"
        r = await c.get("/api/v2/sessions")
        assert r.status_code == 401 and r.json()["code"] == "AUTHORIZATION_HEADER_REQUIRED"
        good = (await create_key(api))["key"]
        flipped = good[:-1] + ("A" if good[-1] != "A" else "B")  # the checksum no longer matches
        unknown = new_key(KeyKind.AIVS)  # well formed, never issued
        for key in ("avs_live_nope", flipped, unknown, good[:-6] + checksum("x"), "mas_" + "x" * 43):
            r = await c.get(f"{PROBE}/read", headers=bearer(key))
            assert r.status_code == 401, (key, r.text)
            assert aivs_error(r)["code"] == "invalid_api_key"
            r = await c.get("/api/v2/auth/me", headers=bearer(key))
            assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"
            assert r.json()["details"] == {"reason": "invalid_api_key"}


async def test_a_bad_checksum_is_refused_without_touching_the_database(studio: Studio, api: Api) -> None:
    good = (await create_key(api))["key"]
    async with app_client(studio) as c:
        for key in (good[:-1] + ("A" if good[-1] != "A" else "B"), "avs_live_" + "a" * 38, "mas_short"):
            with statements(studio) as seen:
                r = await c.get(f"{PROBE}/read", headers={"X-API-Key": key})
            assert r.status_code == 401 and aivs_error(r)["code"] == "invalid_api_key"
            assert seen == [], seen
        with statements(studio) as seen:  # a well-formed key is looked up: one query
            r = await c.get(f"{PROBE}/read", headers={"X-API-Key": good})
        assert r.status_code == 200
        assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1, seen


async def test_revoked_disabled_and_expired_keys(studio: Studio, api: Api) -> None:
    async with app_client(studio) as c:
        revoked = await create_key(api)
        assert (await c.get(f"{PROBE}/read", headers=bearer(revoked["key"]))).status_code == 200
        r = await api.request("DELETE", f"/api/v1/keys/{revoked['id']}")
        assert r.status_code == 200 and r.json()["revoked_at"] is not None
        r = await c.get(f"{PROBE}/read", headers=bearer(revoked["key"]))
        assert r.status_code == 401 and aivs_error(r)["code"] == "invalid_api_key"

        expiring = await create_key(api, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
        assert (await c.get(f"{PROBE}/read", headers=bearer(expiring["key"]))).status_code == 200
        with studio.db.session() as s:  # a day passes
            s.execute(update(ApiKey).where(ApiKey.id == expiring["id"])
                      .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        r = await c.get(f"{PROBE}/read", headers=bearer(expiring["key"]))
        assert r.status_code == 401 and aivs_error(r)["code"] == "expired_api_key"
        r = await c.get("/api/v2/auth/me", headers=bearer(expiring["key"]))
        assert r.status_code == 401 and r.json()["details"] == {"reason": "expired_api_key"}

        personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
        await api.put("/api/v2/account/api-key", json={"enabled": False})
        r = await c.get(f"{PROBE}/read", headers=bearer(personal))
        assert r.status_code == 401 and aivs_error(r)["code"] == "invalid_api_key"
        assert aivs_error(r)["details"]["reason"] == "api_key_disabled"


async def test_each_scope_is_required_by_its_routes(studio: Studio, api: Api) -> None:
    async with app_client(studio) as c:
        for granted in ALL_SCOPES:
            key = (await create_key(api, scopes=[granted]))["key"]
            for scope in ALL_SCOPES:
                r = await c.get(f"{PROBE}/{scope}", headers=bearer(key))
                if scope == granted:
                    assert r.status_code == 200 and r.json() == {"scope": scope}
                else:
                    assert r.status_code == 403, (granted, scope, r.text)
                    error = aivs_error(r)
                    assert error["code"] == "insufficient_scope"
                    assert error["details"] == {"required": scope, "granted": [granted]}
        every = (await create_key(api, scopes=ALL_SCOPES))["key"]
        personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
        for credential in (every, personal, api.token):  # all scopes, full access, a login
            for scope in ALL_SCOPES:
                assert (await c.get(f"{PROBE}/{scope}", headers=bearer(credential))).status_code == 200


async def test_dialect_keys_have_no_v2_access_and_the_personal_key_keeps_full_access(studio: Studio,
                                                                                   api: Api) -> None:
    async with app_client(studio) as c:
        scoped = (await create_key(api, scopes=ALL_SCOPES))["key"]
        for method, path in (("GET", "/api/v2/auth/me"), ("GET", "/api/v2/sessions"), ("POST", "/api/v2/sessions")):
            r = await c.request(method, path, headers=bearer(scoped), json={"name": "x"} if method == "POST" else None)
            assert r.status_code == 403, r.text
            assert r.json()["code"] == "INSUFFICIENT_SCOPE" and r.json()["details"]["required"] == "*"
        personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
        r = await c.post("/api/v2/sessions", headers=bearer(personal), json={"name": "via key"})
        assert r.status_code == 201, r.text


async def test_every_key_header_works_on_every_door(studio: Studio, api: Api) -> None:
    aivs = (await create_key(api))["key"]
    personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    async with app_client(studio) as c:
        for header in ("Authorization", "x-api-key", "X-Magnific-Api-Key"):
            for key in (aivs, personal):
                value = f"Bearer {key}" if header == "Authorization" else key
                r = await c.get(f"{PROBE}/read", headers={header: value})
                assert r.status_code == 200, (header, r.text)
            r = await c.get("/api/v2/auth/me", headers={header: f"Bearer {personal}" if header == "Authorization"
                                                       else personal})
            assert r.status_code == 200 and r.json()["via_api_key"] is True


async def test_key_management_needs_a_web_session(studio: Studio, api: Api) -> None:
    aivs = await create_key(api, scopes=ALL_SCOPES)
    personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    async with app_client(studio) as c:
        for key in (aivs["key"], personal):
            for header in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}, {"X-Magnific-Api-Key": key}):
                for method, path, body in (("POST", "/api/v1/keys", {"name": "sneaky"}), ("GET", "/api/v1/keys", None),
                                           ("DELETE", f"/api/v1/keys/{aivs['id']}", None)):
                    r = await c.request(method, path, headers=header, json=body)
                    assert r.status_code == 403, (method, path, r.text)
                    error = aivs_error(r)
                    assert error["code"] == "insufficient_scope"
                    assert error["details"] == {"reason": "web_session_required"}
        # the login cookie (the web page) manages keys; a cross-site write with it is refused
        login = await c.post("/api/v2/auth/login", json={"email": api.email, "password": "correct-horse-battery"})
        assert login.status_code == 200
        r = await c.post("/api/v1/keys", json={"name": "from the page"}, headers={"Origin": "http://studio.test"})
        assert r.status_code == 200 and r.json()["key"].startswith("avs_live_")
        r = await c.post("/api/v1/keys", json={"name": "from evil"}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403 and aivs_error(r)["details"]["reason"] == "cross_site_request"
        assert (await c.get("/api/v1/keys")).json()["total"] == 3  # two AIVS keys and the personal key


@pytest.mark.parametrize(("allowlist", "inside", "outside"), [
    (["10.0.0.0/8"], ["10.1.2.3", "::ffff:10.1.2.3"], ["192.168.1.10", "::ffff:192.168.1.10", "2001:db8::1"]),
    (["203.0.113.7"], ["203.0.113.7"], ["203.0.113.8"]),
    (["2001:db8::/32"], ["2001:db8::5", "2001:db8:ffff::1"], ["2001:db9::1", "10.0.0.1"]),
    (["::ffff:10.0.0.0/104"], ["10.9.9.9", "::ffff:10.9.9.9"], ["11.0.0.1"]),  # a mapped network is IPv4
    (["10.0.0.0/8", "2001:db8::/32"], ["10.0.0.1", "2001:db8::1"], ["127.0.0.1", "::1"]),
])
async def test_ip_allowlists(studio: Studio, api: Api, allowlist: list[str], inside: list[str],
                             outside: list[str]) -> None:
    key = (await create_key(api, ip_allowlist=allowlist))["key"]
    for peer in inside:
        async with app_client(studio, peer=peer) as c:
            r = await c.get(f"{PROBE}/read", headers=bearer(key))
            assert r.status_code == 200, (peer, r.text)
    for peer in outside:
        async with app_client(studio, peer=peer) as c:
            r = await c.get(f"{PROBE}/read", headers=bearer(key))
            assert r.status_code == 403 and aivs_error(r)["code"] == "ip_not_allowed", (peer, r.text)
            r = await c.get("/api/v2/auth/me", headers=bearer(key))  # the same refusal in v2's words
            assert r.status_code == 403 and r.json()["code"] == "IP_NOT_ALLOWED"


async def test_forwarded_for_is_believed_only_from_trusted_proxies(studio: Studio, api: Api) -> None:
    key = (await create_key(api, ip_allowlist=["203.0.113.0/24"]))["key"]
    forwarded = {**bearer(key), "X-Forwarded-For": "203.0.113.5"}
    async with app_client(studio, peer="127.0.0.1") as c:  # nobody is trusted: the peer counts
        r = await c.get(f"{PROBE}/read", headers=forwarded)
        assert r.status_code == 403 and aivs_error(r)["code"] == "ip_not_allowed"
    behind_proxy = studio.settings.model_copy(update={"trusted_proxies": ["127.0.0.1", "::1"]})
    async with app_client(studio, behind_proxy, peer="127.0.0.1") as c:
        assert (await c.get(f"{PROBE}/read", headers=forwarded)).status_code == 200
        spoofed = {**bearer(key), "X-Forwarded-For": "203.0.113.5, 198.51.100.9"}  # the nearest untrusted hop
        r = await c.get(f"{PROBE}/read", headers=spoofed)
        assert r.status_code == 403 and aivs_error(r)["code"] == "ip_not_allowed"
    async with app_client(studio, behind_proxy, peer="198.51.100.1") as c:  # not the proxy: header ignored
        r = await c.get(f"{PROBE}/read", headers=forwarded)
        assert r.status_code == 403 and aivs_error(r)["code"] == "ip_not_allowed"


async def test_a_key_with_an_allowlist_is_refused_where_no_address_is_known(studio: Studio, api: Api) -> None:
    key = (await create_key(api, ip_allowlist=["10.0.0.0/8"]))["key"]
    with pytest.raises(Exception) as refused:
        studio.accounts.principal_for(key)
    assert getattr(refused.value, "code", "") == "IP_NOT_ALLOWED"


async def test_refusals_on_a_body_route_come_before_the_body_is_read(studio: Studio, api: Api) -> None:
    """EarlyAuthentication answers key refusals for body-carrying requests in the door's envelope."""
    key = (await create_key(api))["key"]
    await api.request("DELETE", "/api/v1/keys/" + (await api.get("/api/v1/keys")).json()["data"][0]["id"])
    async with app_client(studio) as c:
        r = await c.post("/api/v1/keys", headers=bearer(key), json={"name": "x"})
        assert r.status_code == 401 and aivs_error(r)["code"] == "invalid_api_key"
        r = await c.post("/api/v1/keys", json={"name": "x"})
        assert r.status_code == 401 and aivs_error(r)["code"] == "missing_api_key"
        r = await c.post("/api/v2/sessions", headers=bearer(key), json={"name": "x"})
        assert r.status_code == 401 and r.json()["details"] == {"reason": "invalid_api_key"}


async def test_a_malformed_authorization_header_is_an_invalid_key(studio: Studio) -> None:
    async with app_client(studio) as c:
        r = await c.get(f"{PROBE}/read", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        error = aivs_error(r)
        assert error["code"] == "invalid_api_key" and error["details"] == {"reason": "malformed_authorization_header"}
