"""Invitations and shares through the API: invite, re-invite, change, revoke, accept, decline, sign-up,
the owner-only rules, every credential of a revoked collaborator, and hostile inputs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from conftest import PASSWORD, Api
from miniaistudio.studio import Studio

from .conftest import accept, invite, png_bytes


async def user_id(api: Api) -> str:
    return str((await api.get("/api/v2/auth/me")).json()["id"])


async def inbox(api: Api) -> list[dict[str, Any]]:
    r = await api.get("/api/v2/invitations")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def code_of(r: httpx.Response) -> str:
    return str(r.json().get("code"))


async def test_invite_reinvite_change_and_revoke(studio: Studio, make_user: Callable[..., Any]) -> None:
    owner, bob = await make_user("owner@example.com"), await make_user("bob@example.com")
    session = await owner.new_session("Shared work")
    sid = session["id"]

    r = await owner.post(f"/api/v2/session/{sid}/share",
                         json={"email": "bob@example.com", "role": "viewer", "monthly_credit_limit": 100})
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["status"] == "pending" and share["role"] == "viewer" and share["user_id"] == await user_id(bob)
    assert share["monthly_credit_limit"] == 100 and share["total_credit_limit"] is None
    assert share["credits_used_this_month"] == 0 and share["credits_used_total"] == 0
    assert share["invited_by"] == owner.email and share["accepted_at"] is None
    [invitation] = await inbox(bob)
    assert invitation["id"] == share["id"] and invitation["session_name"] == "Shared work"
    assert invitation["owner_email"] == owner.email and invitation["invited_by"] == owner.email
    assert invitation["role"] == "viewer" and invitation["monthly_credit_limit"] == 100
    r = await bob.get(f"/api/v2/sessions/{sid}")  # pending: no access yet
    assert r.status_code == 404 and code_of(r) == "SESSION_NOT_FOUND"

    # Re-inviting the same address (any spelling) updates the share; limits not sent are kept.
    r = await owner.post(f"/api/v2/session/{sid}/share",
                         json={"email": "  BOB@Example.com ", "role": "runner", "total_credit_limit": 50})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == share["id"] and r.json()["role"] == "runner"
    assert (r.json()["monthly_credit_limit"], r.json()["total_credit_limit"]) == (100, 50)
    assert len((await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"]) == 1

    accepted = await accept(bob, share["id"])
    assert accepted["status"] == "accepted" and accepted["accepted_at"] is not None
    assert (await bob.get(f"/api/v2/sessions/{sid}")).json()["role"] == "runner"
    assert studio.sharing.share_limits(sid, await user_id(bob)) == (100, 50)
    assert studio.sharing.share_limits(sid, await user_id(owner)) is None

    r = await owner.request("PATCH", f"/api/v2/session/share/{share['id']}",
                            json={"role": "editor", "monthly_credit_limit": None})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "editor" and r.json()["monthly_credit_limit"] is None
    assert r.json()["total_credit_limit"] == 50 and r.json()["status"] == "accepted"
    assert (await bob.get(f"/api/v2/sessions/{sid}")).json()["role"] == "editor"
    assert studio.sharing.share_limits(sid, await user_id(bob)) == (None, 50)

    r = await owner.request("DELETE", f"/api/v2/session/share/{share['id']}")
    assert r.status_code == 200 and r.json()["revoked"]["id"] == share["id"], r.text
    r = await bob.get(f"/api/v2/sessions/{sid}")
    assert r.status_code == 404 and code_of(r) == "SESSION_NOT_FOUND"
    assert await inbox(bob) == [] and (await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"] == []
    assert studio.sharing.share_limits(sid, await user_id(bob)) is None
    for method, body in (("DELETE", None), ("PATCH", {"role": "viewer"})):
        r = await owner.request(method, f"/api/v2/session/share/{share['id']}", json=body)
        assert r.status_code == 404 and code_of(r) == "SHARE_NOT_FOUND", r.text


async def test_decline_leave_and_reinvite(make_user: Callable[..., Any]) -> None:
    owner, carol = await make_user(), await make_user("carol@example.com")
    sid = (await owner.new_session())["id"]
    share = await invite(owner, sid, carol.email, "editor")
    r = await carol.post(f"/api/v2/invitations/{share['id']}/decline")
    assert r.status_code == 200 and r.json()["status"] == "declined", r.text
    assert await inbox(carol) == []
    r = await carol.post(f"/api/v2/invitations/{share['id']}/accept")
    assert r.status_code == 409 and code_of(r) == "INVITATION_DECLINED", r.text
    assert [s["status"] for s in (await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"]] == ["declined"]

    r = await owner.post(f"/api/v2/session/{sid}/share", json={"email": carol.email, "role": "viewer"})
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["id"] == share["id"], r.text
    await accept(carol, share["id"])
    assert (await carol.get(f"/api/v2/sessions/{sid}")).status_code == 200
    [shown] = await inbox(carol)
    assert shown["status"] == "accepted"

    # Declining an accepted invitation leaves the session.
    r = await carol.post(f"/api/v2/invitations/{share['id']}/decline")
    assert r.status_code == 200, r.text
    r = await carol.get(f"/api/v2/sessions/{sid}")
    assert r.status_code == 404 and code_of(r) == "SESSION_NOT_FOUND"


async def test_only_the_owner_shares_and_only_the_invitee_answers(make_user: Callable[..., Any]) -> None:
    owner, editor, stranger = await make_user("boss@example.com"), await make_user(), await make_user()
    sid = (await owner.new_session())["id"]
    share = await invite(owner, sid, editor.email, "editor")
    await accept(editor, share["id"])

    r = await editor.post(f"/api/v2/session/{sid}/share", json={"email": "x@example.com", "role": "viewer"})
    assert r.status_code == 403 and code_of(r) == "FORBIDDEN"
    r = await editor.get(f"/api/v2/session/{sid}/shares")
    assert r.status_code == 403 and code_of(r) == "FORBIDDEN"
    r = await stranger.post(f"/api/v2/session/{sid}/share", json={"email": "x@example.com", "role": "viewer"})
    assert r.status_code == 404 and code_of(r) == "SESSION_NOT_FOUND"
    for api in (editor, stranger):  # someone else's share does not exist for them
        for method, path, body in (("PATCH", f"/api/v2/session/share/{share['id']}", {"role": "viewer"}),
                                   ("DELETE", f"/api/v2/session/share/{share['id']}", None)):
            r = await api.request(method, path, json=body)
            assert r.status_code == 404 and code_of(r) == "SHARE_NOT_FOUND", (api.email, method, r.text)
    for api in (owner, stranger):  # the invitation is the editor's to answer
        for answer in ("accept", "decline"):
            r = await api.post(f"/api/v2/invitations/{share['id']}/{answer}")
            assert r.status_code == 404 and code_of(r) == "SHARE_NOT_FOUND", r.text
    assert (await editor.get(f"/api/v2/sessions/{sid}")).json()["role"] == "editor"  # nothing changed

    for email in (owner.email, " BOSS@EXAMPLE.COM"):  # the owner has every right already
        r = await owner.post(f"/api/v2/session/{sid}/share", json={"email": email, "role": "viewer"})
        assert r.status_code == 422 and code_of(r) == "CANNOT_SHARE_WITH_OWNER", r.text


async def test_an_invitation_waits_for_the_account(studio: Studio, make_user: Callable[..., Any]) -> None:
    owner = await make_user()
    sid = (await owner.new_session("Before you joined"))["id"]
    share = await invite(owner, sid, "Newcomer@Example.com", "runner", total_credit_limit=5)
    assert share["user_id"] is None and share["email"] == "newcomer@example.com"

    newcomer = await make_user("newcomer@example.com")  # signs up later
    [invitation] = await inbox(newcomer)
    assert invitation["id"] == share["id"] and invitation["session_name"] == "Before you joined"
    assert invitation["total_credit_limit"] == 5
    await accept(newcomer, share["id"])
    r = await newcomer.post("/api/v2/session/execute", session=sid, json={"mode": "full"},
                            headers={"Prefer": "wait=30"})
    assert r.status_code == 200, r.text
    listed = (await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"]
    assert listed[0]["user_id"] == await user_id(newcomer) and listed[0]["status"] == "accepted"


async def test_revocation_refuses_every_credential_at_once(studio: Studio, client: httpx.AsyncClient,
                                                           make_user: Callable[..., Any]) -> None:
    owner, dana = await make_user(), await make_user("dana@example.com")
    sid = (await owner.new_session())["id"]
    share = await invite(owner, sid, dana.email, "editor")
    await accept(dana, share["id"])
    r = await dana.post("/api/v2/media/upload", params={"session_id": sid},
                        files={"file": ("danas.png", png_bytes(), "image/png")})
    assert r.status_code == 201, r.text
    danas = r.json()["id"]  # what she made in the owner's session is the session's
    key = (await dana.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    login = await client.post("/api/v2/auth/login", json={"email": dana.email, "password": PASSWORD})
    cookie = login.cookies.get("mas_token")
    client.cookies.clear()
    assert cookie

    async def as_each() -> list[httpx.Response]:
        answers = [await client.get(f"/api/v2/sessions/{sid}", headers={"Authorization": f"Bearer {dana.token}"}),
                   await client.get(f"/api/v2/sessions/{sid}", headers={"Authorization": f"Bearer {key}"}),
                   await client.get(f"/api/v2/sessions/{sid}", headers={"X-API-Key": key})]
        client.cookies.set("mas_token", cookie)  # the browser's way: the login cookie alone
        answers.append(await client.get(f"/api/v2/sessions/{sid}"))
        client.cookies.clear()
        return answers

    assert [r.status_code for r in await as_each()] == [200] * 4
    r = await owner.request("DELETE", f"/api/v2/session/share/{share['id']}")
    assert r.status_code == 200, r.text
    answers = await as_each()
    assert [(r.status_code, code_of(r)) for r in answers] == [(404, "SESSION_NOT_FOUND")] * 4
    for path in (f"/api/v2/media/{danas}", f"/api/v2/media/{danas}/download"):
        r = await dana.get(path)
        assert r.status_code == 404 and code_of(r) == "MEDIA_NOT_FOUND", r.text
        assert (await owner.get(path)).status_code == 200
    for include_shared in ("false", "true"):
        gallery = (await dana.get("/api/v2/media", params={"include_shared": include_shared})).json()
        assert gallery["groups"] == [] and gallery["total"] == 0, gallery
    owners = (await owner.get("/api/v2/media", params={"include_shared": "true"})).json()
    assert [item["id"] for group in owners["groups"] for item in group["items"]] == [danas]


BAD_INVITES: list[Any] = [
    {"email": "not-an-email", "role": "viewer"},
    {"email": "a@b@c", "role": "viewer"},
    {"email": "", "role": "viewer"},
    {"email": "x" * 400 + "@example.com", "role": "viewer"},
    {"email": "evil\r\nBcc: all@example.com@example.com", "role": "viewer"},
    {"email": "a b@example.com", "role": "viewer"},
    {"email": "nul\u0000@example.com", "role": "viewer"},
    {"email": 123, "role": "viewer"},
    {"email": None, "role": "viewer"},
    {"role": "viewer"},
    {"email": "ok@example.com"},
    {"email": "ok@example.com", "role": "owner"},
    {"email": "ok@example.com", "role": "admin"},
    {"email": "ok@example.com", "role": "VIEWER"},
    {"email": "ok@example.com", "role": 2},
    {"email": "ok@example.com", "role": "viewer", "monthly_credit_limit": -1},
    {"email": "ok@example.com", "role": "viewer", "total_credit_limit": -100},
    {"email": "ok@example.com", "role": "viewer", "monthly_credit_limit": 2**53},
    {"email": "ok@example.com", "role": "viewer", "total_credit_limit": 10**30},
    {"email": "ok@example.com", "role": "viewer", "monthly_credit_limit": 1.5},
    {"email": "ok@example.com", "role": "viewer", "monthly_credit_limit": "10"},
    {"email": "ok@example.com", "role": "viewer", "monthly_credit_limit": True},
    {"email": "ok@example.com", "role": "viewer", "status": "accepted"},
    {"email": "ok@example.com", "role": "viewer", "user_id": str(uuid.uuid4())},
    [], "viewer", None,
]
BAD_UPDATES: list[Any] = [
    {"role": "owner"}, {"role": ""}, {"monthly_credit_limit": -1}, {"total_credit_limit": 2**60},
    {"total_credit_limit": 0.5}, {"status": "accepted"}, {"email": "other@example.com"}, [], 7,
]


async def test_hostile_share_inputs_are_refused_and_store_nothing(make_user: Callable[..., Any]) -> None:
    owner, eve = await make_user(), await make_user("eve@example.com")
    sid = (await owner.new_session())["id"]
    for body in BAD_INVITES:
        r = await owner.post(f"/api/v2/session/{sid}/share", json=body)
        assert r.status_code == 422 and code_of(r) == "INVALID_REQUEST", (body, r.status_code, r.text)
    assert (await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"] == []

    share = await invite(owner, sid, eve.email, "viewer", monthly_credit_limit=0, total_credit_limit=2**53 - 1)
    assert (share["monthly_credit_limit"], share["total_credit_limit"]) == (0, 2**53 - 1)
    for body in BAD_UPDATES:
        r = await owner.request("PATCH", f"/api/v2/session/share/{share['id']}", json=body)
        assert r.status_code == 422 and code_of(r) == "INVALID_REQUEST", (body, r.status_code, r.text)
    [kept] = (await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"]
    assert (kept["role"], kept["status"], kept["monthly_credit_limit"]) == ("viewer", "pending", 0)

    for share_id in ("x", "../../etc/passwd", str(uuid.uuid4()), "9" * 5000, "%00"):
        for method, path in (("PATCH", f"/api/v2/session/share/{share_id}"),
                             ("DELETE", f"/api/v2/session/share/{share_id}"),
                             ("POST", f"/api/v2/invitations/{share_id}/accept"),
                             ("POST", f"/api/v2/invitations/{share_id}/decline")):
            api = eve if "invitations" in path else owner
            r = await api.request(method, path, json={"role": "viewer"} if method == "PATCH" else None)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert code_of(r) in ("SHARE_NOT_FOUND", "NOT_FOUND"), (method, path, r.text)
    for bad_session in ("nope", str(uuid.uuid4())):
        r = await owner.post(f"/api/v2/session/{bad_session}/share", json={"email": eve.email, "role": "viewer"})
        assert r.status_code == 404 and code_of(r) == "SESSION_NOT_FOUND", r.text
