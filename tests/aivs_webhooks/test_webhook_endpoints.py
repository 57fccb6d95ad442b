"""``/api/v1/webhooks`` through the real app on the studio's default rules (https, public targets):
the seed's request replayed literally, the answers' shapes, scopes, another user's webhooks and
hostile inputs, all in the seed's error envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conftest import Api
from keys.conftest import aivs_error

from .conftest import SEED_CREATE_BODY, create_webhook, webhooks_key

pytestmark = pytest.mark.timeout(60)

SEED_EVENTS = ["generation.completed", "generation.failed"]
PUBLIC_URL = "https://hooks.example.com/aivs"


async def test_the_seeds_create_request_replayed_literally(client: httpx.AsyncClient, api: Api) -> None:
    key = await webhooks_key(api)
    r = await client.post("/api/v1/webhooks", content=SEED_CREATE_BODY,
                          headers={**key, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["url"] == "https://your-app.com/webhooks/photoverse"
    assert created["events"] == SEED_EVENTS and created["enabled"] is True
    assert created["id"].startswith("whe_") and created["secret"].startswith("whsec_")
    assert set(created) == {"id", "url", "events", "description", "enabled", "disabled_reason", "created_at",
                            "last_delivery", "secret"}
    assert r.headers["X-RateLimit-Limit"]  # a key-authenticated answer like every other

    listed = await client.get("/api/v1/webhooks", headers=key)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    [row] = listed.json()["data"]
    assert row["id"] == created["id"] and row["last_delivery"] is None
    assert "secret" not in row and created["secret"] not in listed.text  # shown once, never again


async def test_events_default_to_all_and_update_and_delete(client: httpx.AsyncClient, api: Api) -> None:
    key = await webhooks_key(api)
    created = await create_webhook(client, key, url=PUBLIC_URL)
    assert created["events"] == SEED_EVENTS  # the seed: "default: all"
    path = f"/api/v1/webhooks/{created['id']}"

    r = await client.patch(path, json={"events": ["generation.failed"], "enabled": False,
                                       "url": "https://hooks.example.com/v2", "description": "ops"}, headers=key)
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["events"] == ["generation.failed"] and updated["enabled"] is False
    assert updated["url"] == "https://hooks.example.com/v2" and updated["description"] == "ops"
    assert updated["disabled_reason"] and "secret" not in updated

    r = await client.patch(path, json={"enabled": True}, headers=key)
    assert r.json()["enabled"] is True and r.json()["disabled_reason"] is None
    assert r.json()["events"] == ["generation.failed"]  # what is left out stays

    r = await client.post(f"{path}/test", headers=key)  # a test event needs no subscription
    assert r.status_code == 200 and r.json()["event"] == "webhook.test"

    r = await client.delete(path, headers=key)
    assert r.status_code == 200 and r.json() == {"id": created["id"], "deleted": True}
    for method, url in (("DELETE", path), ("PATCH", path), ("GET", f"{path}/deliveries"), ("POST", f"{path}/test")):
        r = await client.request(method, url, headers=key, json={} if method == "PATCH" else None)
        assert r.status_code == 404 and aivs_error(r)["code"] == "not_found", (method, url, r.text)
    assert (await client.get("/api/v1/webhooks", headers=key)).json() == {"data": [], "total": 0}


async def test_a_web_session_manages_webhooks_too(api: Api) -> None:
    r = await api.post("/api/v1/webhooks", json={"url": PUBLIC_URL})
    assert r.status_code == 200, r.text
    assert (await api.get("/api/v1/webhooks")).json()["total"] == 1


async def test_every_route_needs_the_webhooks_scope(client: httpx.AsyncClient, api: Api) -> None:
    owner = await webhooks_key(api)
    webhook = await create_webhook(client, owner, url=PUBLIC_URL)
    path = f"/api/v1/webhooks/{webhook['id']}"
    calls = [("POST", "/api/v1/webhooks", {"url": PUBLIC_URL}), ("GET", "/api/v1/webhooks", None),
             ("PATCH", path, {"enabled": False}), ("DELETE", path, None), ("GET", f"{path}/deliveries", None),
             ("POST", f"{path}/test", None), ("POST", f"{path}/deliveries/whd_x/redeliver", None)]
    others = await webhooks_key(api, ["read", "generate:image", "generate:video"])
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=others)
        assert r.status_code == 403 and aivs_error(r)["code"] == "insufficient_scope", (method, url, r.text)
        r = await client.request(method, url, json=body)
        assert r.status_code == 401 and aivs_error(r)["code"] == "missing_api_key"
        r = await client.request(method, url, json=body, headers={"Authorization": "Bearer avs_live_nope"})
        assert r.status_code == 401 and aivs_error(r)["code"] == "invalid_api_key"
    r = await client.get("/api/v1/webhooks", headers=owner)
    assert r.json()["data"][0]["enabled"] is True  # nothing above changed it


async def test_another_users_webhook_is_not_found(client: httpx.AsyncClient,
                                                  make_user: Callable[..., Any]) -> None:
    owner_api, stranger_api = await make_user(), await make_user()
    owner, stranger = await webhooks_key(owner_api), await webhooks_key(stranger_api)
    theirs = await create_webhook(client, owner, url=PUBLIC_URL, description="owner's private note")
    await client.post(f"/api/v1/webhooks/{theirs['id']}/test", headers=owner)
    [delivery] = (await client.get(f"/api/v1/webhooks/{theirs['id']}/deliveries", headers=owner)).json()["data"]
    mine = await create_webhook(client, stranger, url=PUBLIC_URL)
    path = f"/api/v1/webhooks/{theirs['id']}"
    calls = [("PATCH", path, {"enabled": False, "url": "https://evil.example.com/"}), ("DELETE", path, None),
             ("GET", f"{path}/deliveries", None), ("POST", f"{path}/test", None),
             ("POST", f"{path}/deliveries/{delivery['id']}/redeliver", None),
             # their delivery under my own webhook
             ("POST", f"/api/v1/webhooks/{mine['id']}/deliveries/{delivery['id']}/redeliver", None)]
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=stranger)
        assert r.status_code == 404 and aivs_error(r)["code"] == "not_found", (method, url, r.text)
        assert "private note" not in r.text and PUBLIC_URL not in r.text
    listed = (await client.get("/api/v1/webhooks", headers=stranger)).json()
    assert [w["id"] for w in listed["data"]] == [mine["id"]]
    r = await client.get("/api/v1/webhooks", headers=owner)
    [still] = r.json()["data"]
    assert still["enabled"] is True and still["url"] == PUBLIC_URL
    log = (await client.get(f"{path}/deliveries", headers=owner)).json()["data"]
    assert [d["id"] for d in log] == [delivery["id"]]  # no redelivery was made


HOSTILE_URLS = {
    "http://hooks.example.com/": "url_not_allowed",  # http, not allowed by default
    "https://127.0.0.1/hook": "url_not_allowed",
    "https://localhost/hook": "url_not_allowed",
    "https://10.0.0.8/hook": "url_not_allowed",
    "https://169.254.169.254/latest/meta-data": "url_not_allowed",
    "https://[::1]/hook": "url_not_allowed",
    "https://[::ffff:127.0.0.1]/hook": "url_not_allowed",
    "https://0x7f000001/hook": None,
    "ftp://hooks.example.com/": "url_not_allowed",
    "javascript:alert(1)": None,
    "https://user:pw@hooks.example.com/": "url_invalid",
    "https://hooks.example.com/a b": "url_invalid",
    "https:///nohost": None,
    "not a url": None,
}


async def test_hostile_urls_are_invalid_requests_naming_the_field(client: httpx.AsyncClient, api: Api) -> None:
    key = await webhooks_key(api)
    webhook = await create_webhook(client, key, url=PUBLIC_URL)
    for url, reason in HOSTILE_URLS.items():
        for method, path in (("POST", "/api/v1/webhooks"), ("PATCH", f"/api/v1/webhooks/{webhook['id']}")):
            r = await client.request(method, path, json={"url": url}, headers=key)
            assert r.status_code == 400, (url, r.status_code, r.text)
            error = aivs_error(r)
            assert error["code"] == "invalid_request" and "url" in error["details"]["fields"], (url, error)
            if reason:
                assert error["details"]["reason"] == reason, (url, error)
    r = await client.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/" + "a" * 3000}, headers=key)
    assert r.status_code == 400 and "url" in aivs_error(r)["details"]["fields"]
    listed = (await client.get("/api/v1/webhooks", headers=key)).json()
    assert listed["total"] == 1 and listed["data"][0]["url"] == PUBLIC_URL  # nothing changed


@pytest.mark.parametrize(("body", "field"), [
    ({}, "url"),
    ({"url": None}, "url"),
    ({"url": ["https://a.example.com"]}, "url"),
    ({"url": ""}, "url"),
    ({"url": PUBLIC_URL, "events": ["generation.started"]}, "events.0"),
    ({"url": PUBLIC_URL, "events": []}, "events"),
    ({"url": PUBLIC_URL, "events": "generation.completed"}, "events"),
    ({"url": PUBLIC_URL, "events": ["generation.completed"] * 50}, "events"),
    ({"url": PUBLIC_URL, "description": "x" * 5000}, "description"),
    ({"url": PUBLIC_URL, "enabled": "yes please"}, None),  # unknown fields are ignored
])
async def test_bad_bodies_are_invalid_requests(client: httpx.AsyncClient, api: Api, body: dict[str, Any],
                                               field: str | None) -> None:
    key = await webhooks_key(api)
    r = await client.post("/api/v1/webhooks", json=body, headers=key)
    if field is None:
        assert r.status_code == 200, r.text
        return
    assert r.status_code == 400, r.text
    error = aivs_error(r)
    assert error["code"] == "invalid_request" and field in error["details"]["fields"], error


async def test_malformed_json_ids_and_pages_never_answer_500(client: httpx.AsyncClient, api: Api) -> None:
    key = await webhooks_key(api)
    webhook = await create_webhook(client, key, url=PUBLIC_URL)
    r = await client.post("/api/v1/webhooks", content=b'{"url": ', headers={**key, "Content-Type": "application/json"})
    assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request"
    r = await client.patch(f"/api/v1/webhooks/{webhook['id']}", content=b"[1, 2]",
                           headers={**key, "Content-Type": "application/json"})
    assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request"
    for webhook_id in ("x" * 5000, "whe_%00", "..%2F..%2Fetc", "'; DROP TABLE webhook_endpoints; --"):
        r = await client.delete(f"/api/v1/webhooks/{webhook_id}", headers=key)
        assert r.status_code == 404 and aivs_error(r)["code"] == "not_found", (webhook_id, r.text)
    path = f"/api/v1/webhooks/{webhook['id']}"
    r = await client.post(f"{path}/deliveries/{'y' * 5000}/redeliver", headers=key)
    assert r.status_code == 404 and aivs_error(r)["code"] == "not_found"
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
        r = await client.get(f"{path}/deliveries", params=params, headers=key)
        assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request", (params, r.text)
    assert (await client.get("/api/v1/webhooks", headers=key)).json()["total"] == 1
