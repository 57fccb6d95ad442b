"""Per-key rate limits: the X-RateLimit-* headers on every key-authenticated answer, the 61st request
in a minute refused with 429 and Retry-After in the door's envelope, other keys unaffected, the
window's reset honoured, per-key limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from conftest import Api, make_settings
from miniaistudio.studio import Studio

from .conftest import PROBE, aivs_error, app_client, bearer, create_key


def _window(r_headers: dict[str, str]) -> tuple[int, int, int]:
    return (int(r_headers["x-ratelimit-limit"]), int(r_headers["x-ratelimit-remaining"]),
            int(r_headers["x-ratelimit-reset"]))


async def test_the_61st_request_in_a_minute_is_refused(studio: Studio, api: Api) -> None:
    key = (await create_key(api))["key"]
    other = (await create_key(api))["key"]
    async with app_client(studio) as c:
        started = time.time()
        for n in range(1, 61):
            r = await c.get(f"{PROBE}/read", headers=bearer(key))
            assert r.status_code == 200, (n, r.text)
            limit, remaining, reset = _window(dict(r.headers))
            assert (limit, remaining) == (60, 60 - n)
            assert started + 59 <= reset <= time.time() + 61  # Unix seconds: when the oldest request leaves
        r = await c.get(f"{PROBE}/read", headers=bearer(key))
        assert r.status_code == 429
        error = aivs_error(r)
        assert error["code"] == "rate_limited"
        limit, remaining, reset = _window(dict(r.headers))
        assert (limit, remaining) == (60, 0)
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert abs(reset - time.time() - int(r.headers["retry-after"])) <= 2
        r = await c.get("/api/v2/auth/me", headers=bearer(key))  # the same key on v2: v2's words
        assert r.status_code == 429 and r.json()["code"] == "RATE_LIMITED" and "retry-after" in r.headers
        r = await c.get(f"{PROBE}/read", headers=bearer(other))  # another key is unaffected
        assert r.status_code == 200 and _window(dict(r.headers))[:2] == (60, 59)
        r = await api.get("/api/v1/keys")  # a login is not rate limited per key, and carries no headers
        assert r.status_code == 200 and "x-ratelimit-limit" not in r.headers


async def test_every_key_answer_carries_the_headers_errors_included(studio: Studio, api: Api) -> None:
    key = (await create_key(api))["key"]
    personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    async with app_client(studio) as c:
        r = await c.get(f"{PROBE}/missing", headers=bearer(key))
        assert r.status_code == 404 and aivs_error(r)["code"] == "not_found" and "x-ratelimit-reset" in r.headers
        r = await c.get(f"{PROBE}/webhooks", headers=bearer(key))
        assert r.status_code == 403 and "x-ratelimit-remaining" in r.headers
        r = await c.get("/api/v1/keys", headers=bearer(key))  # a key refused by key management still counts
        assert r.status_code == 403 and _window(dict(r.headers))[1] == 57
        r = await c.get("/api/v2/sessions/nope", headers=bearer(personal))
        assert r.status_code == 404 and _window(dict(r.headers))[:2] == (60, 59)
        r = await c.post("/api/v2/sessions", headers=bearer(personal), json={"name": "counted"})
        assert r.status_code == 201 and _window(dict(r.headers))[:2] == (60, 58)


async def test_a_key_may_have_a_lower_limit(studio: Studio, api: Api) -> None:
    key = (await create_key(api, rate_limit_per_minute=2))["key"]
    async with app_client(studio) as c:
        assert [(await c.get(f"{PROBE}/read", headers=bearer(key))).status_code for _ in range(3)] == [200, 200, 429]
    listed = (await api.get("/api/v1/keys")).json()["data"]
    assert [k["rate_limit_per_minute"] for k in listed] == [2]


async def test_the_window_reset_is_honoured(tmp_path: Path, make_user: object) -> None:
    settings = make_settings(tmp_path, api_key_rate_limit_per_minute=3, api_rate_limit_window_seconds=2)
    studio = Studio(settings)
    await studio.start()
    try:
        async with app_client(studio) as c:
            studio.accounts.create_user("window@example.com", "correct-horse-battery")
            token = (await c.post("/api/v2/auth/login", json={"email": "window@example.com",
                                                                "password": "correct-horse-battery"})).json()["token"]
            c.cookies.clear()
            key = (await c.post("/api/v1/keys", headers=bearer(token), json={"name": "k"})).json()["key"]
            codes = [(await c.get(f"{PROBE}/read", headers=bearer(key))).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            refused = await c.get(f"{PROBE}/read", headers=bearer(key))
            assert refused.status_code == 429
            wait = int(refused.headers["x-ratelimit-reset"]) - time.time()
            assert 0 < wait <= 3 and int(refused.headers["retry-after"]) <= 3
            await asyncio.sleep(max(0.0, wait) + 0.1)
            r = await c.get(f"{PROBE}/read", headers=bearer(key))
            assert r.status_code == 200, r.text
            assert int(r.headers["x-ratelimit-remaining"]) >= 0
    finally:
        await studio.stop()


async def test_two_studios_on_one_redis_share_a_key_s_count(tmp_path: Path, redis_url: str) -> None:
    """Two API processes (two studios on one database) with ``redis_url`` count a key's requests together;
    without Redis each process would count alone."""
    settings = make_settings(tmp_path, redis_url=redis_url, api_key_rate_limit_per_minute=5)
    assert settings.resolved_rate_limit_storage_uri == redis_url
    first, second = Studio(settings), Studio(settings)
    await first.start()
    await second.start()
    try:
        first.accounts.create_user("shared@example.com", "correct-horse-battery")
        async with app_client(first) as one, app_client(second) as two:
            token = (await one.post("/api/v2/auth/login", json={"email": "shared@example.com",
                                                                 "password": "correct-horse-battery"})).json()["token"]
            one.cookies.clear()
            key = (await one.post("/api/v1/keys", headers=bearer(token), json={"name": "k"})).json()["key"]
            answers = [await (one if n % 2 else two).get(f"{PROBE}/read", headers=bearer(key)) for n in range(6)]
        assert [r.status_code for r in answers] == [200] * 5 + [429]
        assert [int(r.headers["x-ratelimit-remaining"]) for r in answers] == [4, 3, 2, 1, 0, 0]
    finally:
        await second.stop()
        await first.stop()


def test_counters_live_in_redis_when_it_is_configured(tmp_path: Path) -> None:
    assert make_settings(tmp_path, redis_url=None).resolved_rate_limit_storage_uri == "memory://"
    assert make_settings(tmp_path, redis_url="redis://cache:6379/2").resolved_rate_limit_storage_uri == \
        "redis://cache:6379/2"
    explicit = make_settings(tmp_path, redis_url="redis://cache:6379/2", rate_limit_storage_uri="memory://")
    assert explicit.resolved_rate_limit_storage_uri == "memory://"
