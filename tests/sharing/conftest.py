"""A shared session and its team: one collaborator per role, and the people who have no access
(a stranger, a pending invitee, someone who declined, a revoked collaborator)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import Api, edge, node

STRANGER, PENDING, DECLINED, REVOKED = "stranger", "pending invitee", "decliner", "revoked collaborator"
VIEWER, RUNNER, EDITOR, OWNER = "viewer", "runner", "editor", "owner"
#: Weakest first; the owner goes last (the matrix's destructive rows rely on it).
PEOPLE = (STRANGER, PENDING, DECLINED, REVOKED, VIEWER, RUNNER, EDITOR, OWNER)
RANK = {VIEWER: 1, RUNNER: 2, EDITOR: 3, OWNER: 4}


def team_graph(text: str = "team") -> dict[str, Any]:
    return {"nodes": [node("c", "image.solid_color", width=16, height=16), node("a", "image.adjust", invert=True),
                      node("t", "text", x=200, text=text)],
            "edges": [edge("c", "image", "a", "image")]}


async def invite(owner: Api, session_id: str, email: str, role: str, **limits: Any) -> dict[str, Any]:
    r = await owner.post(f"/api/v2/session/{session_id}/share", json={"email": email, "role": role, **limits})
    assert r.status_code in (200, 201), r.text
    share: dict[str, Any] = r.json()
    return share


async def accept(api: Api, share_id: str) -> dict[str, Any]:
    r = await api.post(f"/api/v2/invitations/{share_id}/accept")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@dataclass
class Team:
    people: dict[str, Api]
    session: dict[str, Any]
    run_id: str
    media_id: str
    shares: dict[str, str] = field(default_factory=dict)  # person -> share id

    @property
    def owner(self) -> Api:
        return self.people[OWNER]

    @property
    def session_id(self) -> str:
        return str(self.session["id"])


async def build_team(make_user: Callable[..., Any], png: bytes) -> Team:
    people: dict[str, Api] = {who: await make_user(f"{who.replace(' ', '-')}@example.com") for who in PEOPLE}
    owner = people[OWNER]
    session = await owner.new_session("Team session")
    await owner.save_graph(session, team_graph())
    run = await owner.run(session["id"])
    assert run["status"] == "succeeded", run
    r = await owner.post("/api/v2/media/upload", params={"session_id": session["id"]},
                         files={"file": ("team.png", png, "image/png")})
    assert r.status_code == 201, r.text
    team = Team(people, session, run["run_id"], r.json()["id"])
    for who, role in ((VIEWER, "viewer"), (RUNNER, "runner"), (EDITOR, "editor"), (REVOKED, "editor"),
                      (PENDING, "editor"), (DECLINED, "editor")):
        share = await invite(owner, team.session_id, people[who].email, role)
        team.shares[who] = share["id"]
        if who in (VIEWER, RUNNER, EDITOR, REVOKED):
            await accept(people[who], share["id"])
    r = await people[DECLINED].post(f"/api/v2/invitations/{team.shares[DECLINED]}/decline")
    assert r.status_code == 200, r.text
    r = await owner.request("DELETE", f"/api/v2/session/share/{team.shares[REVOKED]}")
    assert r.status_code == 200, r.text
    return team


def png_bytes(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def team(make_user: Callable[..., Any]) -> Team:
    return await build_team(make_user, png_bytes())


from api.conftest import LiveServer, live_server  # noqa: E402,F401  (the live uvicorn server fixture)
