"""Who sees and runs an app: another user's private app is not found (no leak of its existence),
team apps reach the people the owner shares sessions with, everyone's reach every user; only the
owner changes or deletes an app. Keys: mgn_ keys are made from a signed-in session only."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Api

from .conftest import input_ids, magnific_key, publish_app

pytestmark = pytest.mark.timeout(90)


async def visible(api: Api, key: dict[str, str]) -> list[str]:
    r = await api.client.get("/v1/ai/apps", headers=key)
    assert r.status_code == 200, r.text
    return [app["id"] for app in r.json()["data"]]


async def test_private_team_and_everyone(api: Api, make_user: Any, file_server: str) -> None:
    app = await publish_app(api)
    teammate: Api = await make_user("mate@example.com")
    stranger: Api = await make_user("stranger@example.com")
    mate_key, stranger_key = await magnific_key(teammate), await magnific_key(stranger)
    run = {"inputs": {input_ids(app)["Photo"]: f"{file_server}/coffee.png", input_ids(app)["Fit mode"]: "fit"}}

    async def reaches(who: Api, key: dict[str, str]) -> bool:
        got = await who.client.get(f"/v1/ai/apps/{app['id']}", headers=key)
        ran = await who.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key,
                                    json={"inputs": {"input-x": 1}})  # refused before any work either way
        v2 = await who.get(f"/api/v2/apps/{app['id']}")
        listed = app["id"] in await visible(who, key)
        if got.status_code == 404:
            assert got.json() == {"message": "app not found", "code": "APP_NOT_FOUND"}
            assert ran.status_code == 404 and ran.json()["code"] == "APP_NOT_FOUND"
            assert v2.status_code == 404 and v2.json()["code"] == "APP_NOT_FOUND" and not listed
            return False
        assert got.status_code == 200 and ran.status_code == 400 and v2.status_code == 200 and listed
        assert v2.json()["session_id"] is None and v2.json()["outputs"] == []  # the owner's graph stays theirs
        return True

    assert (await reaches(teammate, mate_key), await reaches(stranger, stranger_key)) == (False, False)
    # The teammate: someone the owner shares a session with (accepted).
    session = await api.new_session("Shared work")
    share = await api.post(f"/api/v2/session/{session['id']}/share", json={"email": teammate.email, "role": "viewer"})
    assert share.status_code == 201, share.text
    r = await api.client.patch(f"/api/v2/apps/{app['id']}", headers=api.headers, json={"visibility": "team"})
    assert r.status_code == 200 and r.json()["visibility"] == "team", r.text
    assert (await reaches(teammate, mate_key), await reaches(stranger, stranger_key)) == (False, False)  # pending
    accepted = await teammate.post(f"/api/v2/invitations/{share.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert (await reaches(teammate, mate_key), await reaches(stranger, stranger_key)) == (True, False)
    r = await teammate.client.post(f"/v1/ai/apps/{app['id']}/run", headers=mate_key, json=run)
    assert r.status_code == 200, r.text
    r = await api.client.patch(f"/api/v2/apps/{app['id']}", headers=api.headers, json={"visibility": "everyone"})
    assert (await reaches(teammate, mate_key), await reaches(stranger, stranger_key)) == (True, True)
    # Only the owner changes it or deletes it; users who may see it are told so, the others not found.
    r = await stranger.client.patch(f"/api/v2/apps/{app['id']}", headers=stranger.headers, json={"name": "Mine"})
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    r = await stranger.client.delete(f"/api/v2/apps/{app['id']}", headers=stranger.headers)
    assert r.status_code == 403
    r = await api.client.patch(f"/api/v2/apps/{app['id']}", headers=api.headers, json={"visibility": "private"})
    r = await stranger.client.delete(f"/api/v2/apps/{app['id']}", headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "APP_NOT_FOUND"
    # The owner's listing has it; deleting it ends it for everyone, its runs stay their runners'.
    mine = (await api.get("/api/v2/apps")).json()["items"]
    assert [a["id"] for a in mine] == [app["id"]] and mine[0]["is_owner"]
    r = await api.client.delete(f"/api/v2/apps/{app['id']}", headers=api.headers)
    assert r.status_code == 200 and r.json()["id"] == app["id"]
    assert (await api.get(f"/api/v2/apps/{app['id']}")).status_code == 404
    assert (await api.get("/api/v2/apps")).json()["items"] == []
    newer = await publish_app(api)
    assert newer["id"] != app["id"]  # ids are never reused


async def test_publishing_is_the_owners_and_checked(api: Api, make_user: Any) -> None:
    session = await api.new_session("Mine")
    await api.save_graph(session, {"nodes": [{"id": "t", "type": "text", "params": {"text": "hi"}},
                                             {"id": "c", "type": "image.solid_color", "params": {}}], "edges": []})
    base: dict[str, Any] = {"name": "x", "outputs": [{"node_id": "c"}]}
    cases = [
        ({**base, "inputs": [{"node_id": "nope", "field": "text", "type": "text", "label": "T"}]}, "INVALID_APP"),
        ({**base, "inputs": [{"node_id": "t", "type": "creation", "label": "P"}]}, "INVALID_APP"),
        ({**base, "inputs": [{"node_id": "c", "field": "width", "type": "text", "label": "W"}]}, "INVALID_APP"),
        ({**base, "inputs": [{"node_id": "c", "field": "nope", "type": "number", "label": "W"}]}, "INVALID_APP"),
        ({**base, "inputs": [{"node_id": "c", "field": "color", "type": "select", "label": "C"}]}, "INVALID_APP"),
        ({**base, "inputs": [{"node_id": "c", "field": "width", "type": "number", "label": "W", "min": 1,
                              "max": 9, "default": 50}]}, "INVALID_INPUTS"),
        ({**base, "outputs": [{"node_id": "ghost"}]}, "INVALID_APP"),
        ({**base, "outputs": []}, "INVALID_REQUEST"),
        ({**base, "visibility": "world"}, "INVALID_REQUEST"),
    ]
    for body, code in cases:
        r = await api.post(f"/api/v2/sessions/{session['id']}/publish-app", json=body)
        assert r.status_code == 422 and r.json()["code"] == code, (body, r.text)
    other: Api = await make_user("other@example.com")
    r = await other.post(f"/api/v2/sessions/{session['id']}/publish-app", json=base)
    assert r.status_code == 404 and r.json()["code"] == "SESSION_NOT_FOUND"
    assert (await api.get("/api/v2/apps")).json()["items"] == []
    # An API key cannot make keys; an mgn_ key opens /v1/ai only, not /api/v2.
    key = await magnific_key(api)
    r = await api.client.post("/api/v2/apps/keys", headers={"Authorization": f"Bearer {key['X-Magnific-Api-Key']}"},
                              json={"name": "again"})
    assert r.status_code == 403 and r.json()["code"] == "INSUFFICIENT_SCOPE"
    r = await api.client.get("/api/v2/apps", headers={"X-Magnific-Api-Key": key["X-Magnific-Api-Key"]})
    assert r.status_code == 403
    read_only = await api.post("/api/v2/apps/keys", json={"name": "reader", "scopes": ["read"]})
    app = (await api.post(f"/api/v2/sessions/{session['id']}/publish-app", json=base)).json()
    r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", json={"inputs": {}},
                              headers={"X-Magnific-Api-Key": read_only.json()["key"]})
    assert r.status_code == 403 and r.json()["code"] == "INSUFFICIENT_SCOPE"
    r = await api.client.get("/v1/ai/apps", headers={"X-Magnific-Api-Key": "mgn_wrong"})
    assert r.status_code == 401 and set(r.json()) >= {"message", "code"}
    r = await api.client.get("/v1/ai/apps")
    assert r.status_code == 401 and r.json()["code"] == "AUTHORIZATION_HEADER_REQUIRED"
