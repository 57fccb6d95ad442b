"""The HTTP perimeter (issue 9): cross-site writes with the login cookie, Host names (DNS rebinding),
authentication and size caps before a body is read, browser hardening headers, local API docs,
and library exceptions answered with stable codes. All through the real app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from conftest import FIXTURES, PASSWORD, Api
from miniaistudio.api import aivs, files, v2
from miniaistudio.api.common.deps import get_caller
from miniaistudio.app import PUBLIC_BODY_PATHS, STREAMED_UPLOAD_PATHS, WEB_DIST, create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

ORIGIN = "http://studio.test"
MiB = 1024 * 1024


def error_of(r: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = r.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    return body


@pytest.fixture
async def cookie_client(studio: Studio, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The shared client, signed in by the login cookie only (as the canvas is)."""
    studio.accounts.create_user("web@example.com", PASSWORD)
    client.cookies.clear()
    r = await client.post("/api/v2/auth/login", json={"email": "web@example.com", "password": PASSWORD},
                          headers={"Origin": ORIGIN})
    assert r.status_code == 200, r.text
    assert "mas_token" in client.cookies
    return client


def app_client(studio: Studio, settings: Settings, *, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    app = create_app(settings, studio)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(peer, 50000)), base_url=ORIGIN)


# -- cross-site requests ---------------------------------------------------------------------
STATE_CHANGING = [
    ("POST", "/api/v2/account/api-key/regenerate", {}),
    ("POST", "/api/v2/session/execute", {"json": {"mode": "full"}}),
    ("POST", "/api/v2/session/stop", {}),
    ("POST", "/api/v2/gpu/start", {}),
    ("POST", "/api/v2/media/upload", {"content": b"\x89PNG....", "headers": {"X-Filename": "a.png"}}),
    ("PUT", "/api/v2/account/api-key", {"json": {"enabled": True}}),
    ("POST", "/api/v2/auth/logout", {}),
]
FOREIGN = [
    {"Origin": "http://evil.example"},
    {"Origin": "http://studio.test:8080"},  # another port of the same host: same site, other origin
    {"Origin": "https://studio.test"},  # another scheme
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {},  # a cookie with no word on where the request comes from
]


@pytest.mark.parametrize(("method", "path", "kw"), STATE_CHANGING, ids=[p for _, p, _ in STATE_CHANGING])
async def test_cross_site_write_with_the_cookie_is_refused(cookie_client: httpx.AsyncClient, method: str,
                                                           path: str, kw: dict[str, Any]) -> None:
    for foreign in FOREIGN:
        headers = {**kw.get("headers", {}), **foreign}
        r = await cookie_client.request(method, path, headers=headers,
                                        **{k: v for k, v in kw.items() if k != "headers"})
        assert r.status_code == 403, (foreign, r.text)
        assert error_of(r)["code"] == "CROSS_SITE_REQUEST"
    # Nothing changed: the cookie still signs in, and no API key was issued.
    me = await cookie_client.get("/api/v2/auth/me")
    assert me.status_code == 200
    assert (await cookie_client.get("/api/v2/account/api-key")).json()["has_key"] is False


async def test_same_origin_and_header_credentials_are_accepted(make_user: Callable[..., Any],
                                                               cookie_client: httpx.AsyncClient) -> None:
    for same in ({"Origin": ORIGIN}, {"Origin": "http://STUDIO.test:80"}, {"Sec-Fetch-Site": "same-origin"},
                 {"Sec-Fetch-Site": "none"}):
        r = await cookie_client.post("/api/v2/account/api-key/regenerate", headers=same)
        assert r.status_code == 200, (same, r.text)
    # A bearer token or API key is not a cookie: a browser cannot add it cross-site without CORS.
    cookie_client.cookies.clear()
    api: Api = await make_user()
    key = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    cookie_client.cookies.clear()
    for headers in ({"Authorization": f"Bearer {api.token}"}, {"X-API-Key": key}):
        r = await cookie_client.post("/api/v2/sessions", json={"name": "s"},
                                     headers={**headers, "Origin": "http://evil.example"})
        assert r.status_code == 201, r.text


async def test_anonymous_cross_site_sign_in_is_refused(studio: Studio, client: httpx.AsyncClient) -> None:
    """No login CSRF: a page elsewhere cannot sign the browser in as the attacker."""
    studio.accounts.create_user("a@example.com", PASSWORD)
    body = {"email": "a@example.com", "password": PASSWORD}
    r = await client.post("/api/v2/auth/login", json=body, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and error_of(r)["code"] == "CROSS_SITE_REQUEST"
    assert (await client.post("/api/v2/auth/login", json=body)).status_code == 200  # curl: no browser signal


async def test_forwarded_scheme_and_host_only_from_trusted_proxies(studio: Studio, settings: Settings) -> None:
    studio.accounts.create_user("p@example.com", PASSWORD)
    login = {"email": "p@example.com", "password": PASSWORD}
    behind_proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "studio.example.org"}
    # Not trusted: the forwarded headers are ignored, the request's own origin counts.
    async with app_client(studio, settings, peer="10.9.9.9") as c:
        r = await c.post("/api/v2/auth/login", json=login, headers={**behind_proxy, "Origin": ORIGIN})
        assert r.status_code == 200, r.text
        assert "secure" not in r.headers["set-cookie"].lower()
        r = await c.post("/api/v2/auth/login", json=login,
                         headers={**behind_proxy, "Origin": "https://studio.example.org"})
        assert r.status_code == 403
    trusted = settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"], "allowed_hosts": ["studio.example.org"]})
    async with app_client(studio, trusted, peer="10.9.9.9") as c:
        r = await c.post("/api/v2/auth/login", json=login,
                         headers={**behind_proxy, "Origin": "https://studio.example.org"})
        assert r.status_code == 200, r.text
        assert "secure" in r.headers["set-cookie"].lower()  # https at the proxy: the cookie is Secure
        r = await c.post("/api/v2/auth/login", json=login, headers={**behind_proxy, "Origin": ORIGIN})
        assert r.status_code == 403


# -- Host names --------------------------------------------------------------------------------
async def test_only_configured_host_names_are_answered(studio: Studio, settings: Settings,
                                                       client: httpx.AsyncClient) -> None:
    for host in ("evil.example", "studio.test.evil.example", "192.168.1.20:8790", ""):
        r = await client.get("/api/v2/ping", headers={"Host": host})
        assert r.status_code == 400, host
        assert error_of(r)["code"] == "HOST_NOT_ALLOWED"
        r = await client.get("/", headers={"Host": host})
        assert r.status_code == 400, host
    for host in ("studio.test", "STUDIO.TEST:1234", "localhost", "localhost:8790", "127.0.0.1:9", "[::1]:8790"):
        r = await client.get("/api/v2/ping", headers={"Host": host})
        assert r.status_code == 200, host
    anything = settings.model_copy(update={"allowed_hosts": ["*"]})
    async with app_client(studio, anything) as c:
        assert (await c.get("/api/v2/ping", headers={"Host": "evil.example"})).status_code == 200
    wildcard = settings.model_copy(update={"allowed_hosts": ["*.example.org"]})
    async with app_client(studio, wildcard) as c:
        assert (await c.get("/api/v2/ping", headers={"Host": "studio.example.org"})).status_code == 200
        assert (await c.get("/api/v2/ping", headers={"Host": "example.org.evil"})).status_code == 400


# -- bodies: authentication first, then caps -----------------------------------------------------
def resident_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Stream:
    """A chunked request body of ``total`` bytes that counts what the server pulled."""

    def __init__(self, total: int, chunk: int = MiB) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        block = b"[" + b"1," * (self.chunk // 2 - 1) + b"1"
        while self.sent < self.total:
            self.sent += len(block)
            yield block


async def test_anonymous_huge_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    await client.get("/api/v2/ping")  # warm up
    before = resident_bytes()
    body = Stream(200 * MiB)
    r = await client.post("/api/v2/sessions", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and error_of(r)["code"] == "AUTHORIZATION_HEADER_REQUIRED"
    assert body.sent <= 2 * MiB, body.sent
    forged = Stream(200 * MiB)
    r = await client.post("/api/v2/sessions", content=forged, headers={"Content-Type": "application/json",
                                                                      "Authorization": "Bearer forged"})
    assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"
    assert forged.sent <= 2 * MiB, forged.sent
    # A public route (sign-in) takes bodies without a credential, but only small ones.
    public = Stream(200 * MiB)
    r = await client.post("/api/v2/auth/login", content=public, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and error_of(r)["code"] == "BODY_TOO_LARGE"
    assert public.sent <= 10 * MiB, public.sent
    assert resident_bytes() - before < 24 * MiB


async def test_authenticated_json_bodies_are_capped(api: Api, settings: Settings) -> None:
    big = b'{"name": "' + b"x" * (20 * MiB) + b'"}'
    r = await api.post("/api/v2/sessions", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and error_of(r)["code"] == "BODY_TOO_LARGE"
    assert error_of(r)["details"]["max_bytes"] == settings.max_json_body_bytes
    chunked = Stream(20 * MiB)  # no Content-Length: counted as it arrives
    r = await api.post("/api/v2/sessions", content=chunked, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and error_of(r)["code"] == "BODY_TOO_LARGE"
    assert chunked.sent <= settings.max_json_body_bytes + 2 * MiB
    r = await api.post("/api/v2/sessions", json={"name": "still fine"})
    assert r.status_code == 201, r.text


async def test_uploads_keep_their_streamed_limit(studio: Studio, settings: Settings,
                                                 make_user: Callable[..., Any]) -> None:
    small_json = settings.model_copy(update={"max_json_body_bytes": 1024})
    api: Api = await make_user()
    image = max((p for p in FIXTURES.glob("*.png")), key=lambda p: p.stat().st_size)
    assert image.stat().st_size > 1024
    async with app_client(studio, small_json) as c:
        with image.open("rb") as fh:
            r = await c.post("/api/v2/media/upload", headers=api.headers, files={"file": (image.name, fh)})
        assert r.status_code == 201, r.text
        r = await c.post("/api/v2/sessions", headers=api.headers, json={"name": "n" * 2000})
        assert r.status_code == 413 and error_of(r)["code"] == "BODY_TOO_LARGE"


def test_every_route_taking_a_body_authenticates_or_is_declared_public() -> None:
    """EarlyAuthentication lets bodies through without a credential only to PUBLIC_BODY_PATHS
    (every door's routes, so a new router cannot be forgotten here)."""
    seen = set()
    for door in (v2, aivs, files):
        for path, route in _api_routes(door.router.routes):
            seen.add(path)
            if route.body_field is None:
                continue
            calls = {dep.call for dep in _flat(route.dependant)}
            assert get_caller in calls or path in PUBLIC_BODY_PATHS, path  # get_caller: every credential check
    assert seen >= PUBLIC_BODY_PATHS | STREAMED_UPLOAD_PATHS


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every endpoint under a router, with its full path (FastAPI keeps included routers nested)."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def _flat(dependant: Any) -> list[Any]:
    out = [dependant]
    for dep in dependant.dependencies:
        out += _flat(dep)
    return out


# -- browser hardening ---------------------------------------------------------------------------
async def test_security_headers(api: Api, client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.headers["x-content-type-options"] == "nosniff"
    if (WEB_DIST / "index.html").is_file():
        for page in ("/", "/sessions/abc"):
            r = await client.get(page)
            assert r.headers["content-type"].startswith("text/html")
            csp = r.headers["content-security-policy"]
            for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                              "base-uri 'self'", "form-action 'self'", "connect-src 'self'"):
                assert directive in csp, directive
            assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"] == "no-referrer"
    for response in (await client.get("/api/v2/ping"), await client.get("/api/v2/sessions"),
                     await api.get("/api/v2/sessions")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    image = next(iter(sorted(FIXTURES.glob("*.png"))))
    media = await api.upload(None, image)
    r = await api.get(f"/api/v2/media/{media['id']}/download")
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"


async def test_api_docs_are_served_locally_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "cdn.jsdelivr.net" not in html and "https://" not in html
    csp = r.headers["content-security-policy"]
    assert "'sha256-" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in csp
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        assert f"/docs-assets/{asset}" in html
        served = await client.get(f"/docs-assets/{asset}")
        assert served.status_code == 200 and kind in served.headers["content-type"]
        assert len(served.content) > 10_000


# -- library exceptions → stable codes -------------------------------------------------------------
async def test_unparsable_bodies_answer_stable_codes(api: Api) -> None:
    """FastAPI answers some undecodable bodies with a bare 400; every one gets the API's contract."""
    cases: list[tuple[bytes, int, str]] = [
        (b"{not json", 422, "INVALID_REQUEST"),
        (b'{"name": ' + b"9" * 5000 + b"}", 422, "INVALID_REQUEST"),  # beyond Python's int digit limit
        (b'{"name": "\xff\xfe"}', 422, "INVALID_REQUEST"),  # not UTF-8
        (b"[" * 200_000 + b"]" * 200_000, 422, "JSON_TOO_DEEP"),  # would exhaust the parser's stack
    ]
    for body, status, code in cases:
        r = await api.post("/api/v2/sessions", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == status, (body[:20], r.text)
        assert error_of(r)["code"] == code
        assert "/" not in error_of(r)["message"]  # no server paths echoed


def test_library_exceptions_map_to_stable_codes() -> None:
    """The one table (api/common/errors.py) for exceptions bad input can raise past the parsers."""
    import json

    from PIL.Image import DecompressionBombError

    from miniaistudio.api.v2.errors import library_error_response
    from miniaistudio.core.json_limits import JsonLimits, check_document

    expected = [
        (RecursionError(), 422, "JSON_TOO_DEEP"),
        (json.JSONDecodeError("x", "doc", 0), 400, "INVALID_JSON"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), 400, "INVALID_REQUEST"),
        (OverflowError(), 400, "INVALID_REQUEST"),
        (DecompressionBombError("/srv/secret/path.png is too big"), 413, "IMAGE_TOO_LARGE"),
    ]
    for exc, status, code in expected:
        response = library_error_response(exc)
        assert response is not None and response.status_code == status
        body = json.loads(bytes(response.body))
        assert body["code"] == code and "/srv" not in body["message"]
    assert library_error_response(ValueError("anything else")) is None  # still a logged 500
    # json_limits' own errors are StudioErrors: they keep their codes and statuses.
    deep: list[object] = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(Exception) as caught:
        check_document(deep, JsonLimits(max_depth=10))
    assert getattr(caught.value, "code", None) == "JSON_TOO_DEEP" and getattr(caught.value, "status", 0) == 422
