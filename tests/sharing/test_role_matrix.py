"""The role matrix of issue 11: every session, execution and media route x every kind of person
(stranger, pending invitee, decliner, revoked collaborator, viewer, runner, editor, owner).

Each cell asserts the exact status and, for refusals, the code: no role -> 404 (the session, media or
share "does not exist"), too weak a role -> 403 FORBIDDEN, enough -> 2xx. A route of the v2 door that
takes a session and has no row here fails the suite, so a new route cannot skip the matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from miniaistudio.app import create_app
from miniaistudio.studio import Studio
from trust.test_authz_matrix import asgi_head, openapi_operations

from .conftest import OWNER, PEOPLE, RANK, Team, png_bytes, team_graph

VIEW, RUN, EDIT, OWN = 1, 2, 3, 4
WAIT = {"Prefer": "wait=60"}
PNG = png_bytes((10, 120, 200))


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {session_id}, {run_id}, {media_id} are filled from the team
    needs: int  # the weakest role rank allowed
    hidden: str = "SESSION_NOT_FOUND"  # the code of a 404 to someone without a role
    active: bool = False  # the session goes in X-Session-ID
    body: Callable[[Team], Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    upload: bool = False
    stream: bool = False


def flow(team: Team) -> dict[str, Any]:
    return {"graph": team_graph(), "version": team.session["version"]}


ROUTES = (
    Route("GET", "/api/v2/sessions/{session_id}", VIEW),
    Route("POST", "/api/v2/sessions/{session_id}/open", VIEW),
    Route("GET", "/api/v2/session", VIEW, active=True),
    Route("GET", "/api/v2/session/execution", VIEW, active=True),
    Route("GET", "/api/v2/session/outputs", VIEW, active=True),
    Route("GET", "/api/v2/session/executions", VIEW, active=True),
    Route("GET", "/api/v2/session/queue", VIEW, active=True),
    Route("GET", "/api/v2/session/runs/{run_id}", VIEW, active=True),
    Route("GET", "/api/v2/session/events", VIEW, params={"session_id": "{session_id}"}, stream=True),
    Route("GET", "/api/v2/media/sessions/{session_id}", VIEW),
    Route("GET", "/api/v2/media/{media_id}", VIEW, hidden="MEDIA_NOT_FOUND"),
    Route("GET", "/api/v2/media/{media_id}/download", VIEW, hidden="MEDIA_NOT_FOUND"),
    Route("GET", "/api/v2/media/{media_id}/credentials", VIEW, hidden="MEDIA_NOT_FOUND"),
    Route("POST", "/api/v2/media/download-zip", VIEW, hidden="NO_ACCESSIBLE_MEDIA",
          body=lambda team: {"ids": [team.media_id]}),
    Route("POST", "/api/v2/session/execute", RUN, active=True, body=lambda team: {"mode": "full"}, headers=WAIT),
    Route("POST", "/api/v2/session/nodes/{node_id}/rerun", RUN, active=True, headers=WAIT),
    Route("POST", "/api/v2/session/nodes/{node_id}/cancel", RUN, active=True),
    Route("POST", "/api/v2/session/stop", RUN, active=True),
    Route("DELETE", "/api/v2/session/queue/{run_id}", RUN, active=True),
    Route("PUT", "/api/v2/sessions/{session_id}/flow", EDIT, body=flow),
    Route("PUT", "/api/v2/session/flow", EDIT, active=True, body=flow),
    Route("POST", "/api/v2/media/upload", EDIT, params={"session_id": "{session_id}"}, upload=True),
    Route("PATCH", "/api/v2/sessions/{session_id}", OWN, body=lambda team: {"name": "Renamed team session"}),
    Route("POST", "/api/v2/sessions/{session_id}/publish-recipe", OWN,
          body=lambda team: {"id": "team-recipe", "name": "Team recipe",
                             "inputs": [{"name": "words", "node_id": "t", "field": "text", "required": False}]}),
    Route("POST", "/api/v2/sessions/{session_id}/publish-app", OWN,
          body=lambda team: {"name": "Team app", "outputs": [{"node_id": "a"}]}),
    Route("POST", "/api/v2/session/{session_id}/share", OWN,
          body=lambda team: {"email": "newcomer@example.com", "role": "viewer"}),
    Route("GET", "/api/v2/session/{session_id}/shares", OWN),
    Route("DELETE", "/api/v2/sessions/{session_id}", OWN),  # last: the owner deletes the session
)

#: Routes of the v2 door that do not address one session (the sessions list and the gallery are checked
#: by content below; invitations and share ids have their own tests).
NOT_SESSION_ROUTES = {
    ("GET", "/api/v2/sessions"), ("POST", "/api/v2/sessions"), ("GET", "/api/v2/media"), ("GET", "/api/v2/invitations"),
    ("PATCH", "/api/v2/session/share/{share_id}"), ("DELETE", "/api/v2/session/share/{share_id}"),
    ("POST", "/api/v2/invitations/{share_id}/accept"), ("POST", "/api/v2/invitations/{share_id}/decline"),
    # deleting the team's one media item would end every later media row here: maker, editor, viewer and
    # stranger are checked on media of their own in tests/api/test_api_media.py and tests/trust/test_authz_matrix.py
    ("DELETE", "/api/v2/media/{media_id}"),
}


def expected(route: Route, who: str) -> tuple[int, str]:
    rank = RANK.get(who)
    if rank is None:
        return 404, route.hidden
    if rank < route.needs:
        return 403, "FORBIDDEN"
    return 200, ""


def code_of(r: httpx.Response) -> str:
    if r.status_code < 400:
        return ""
    body = r.json()
    return str(body.get("code")) if isinstance(body, dict) else "<not an object>"


async def call(app: Any, team: Team, route: Route, who: str) -> httpx.Response:
    api = team.people[who]
    values = {"session_id": team.session_id, "run_id": team.run_id, "media_id": team.media_id, "node_id": "a"}
    path = route.path.format(**values)
    params = {k: v.format(**values) for k, v in route.params.items()}
    headers = {**route.headers, **({"X-Session-ID": team.session_id} if route.active else {})}
    if route.stream:
        return await asgi_head(app, route.method, path, params, {**headers, **api.headers})
    kw: dict[str, Any] = {"params": params or None, "headers": headers}
    if route.body is not None:
        kw["json"] = route.body(team)
    if route.upload:
        kw["files"] = {"file": ("dot.png", PNG, "image/png")}
    return await api.request(route.method, path, **kw)


def test_every_session_route_is_in_the_matrix(studio: Studio) -> None:
    operations = openapi_operations(create_app(studio.settings, studio).openapi())
    session_like = {(m, p) for m, p in operations
                    if p.startswith(("/api/v2/session", "/api/v2/media", "/api/v2/invitations"))}
    covered = {(r.method, r.path) for r in ROUTES} | NOT_SESSION_ROUTES
    assert not session_like - covered, f"routes missing from the role matrix: {sorted(session_like - covered)}"


async def test_role_matrix(studio: Studio, team: Team) -> None:
    app = create_app(studio.settings, studio)
    failures: list[str] = []
    cells = 0
    for route in ROUTES:
        for who in PEOPLE:
            r = await call(app, team, route, who)
            cells += 1
            status, code = expected(route, who)
            ok = (200 <= r.status_code < 300) if status == 200 else (r.status_code == status and code_of(r) == code)
            if not ok:
                failures.append(f"{route.method} {route.path} as {who}: expected {status} {code}, "
                                f"got {r.status_code} {code_of(r)} {r.text[:200]}")
            if r.status_code == 200 and route.method == "PUT":
                team.session["version"] = r.json()["version"]
            if r.status_code == 200 and route.path.endswith("/execute"):
                assert r.json()["status"] == "succeeded", r.text
    assert cells == len(ROUTES) * len(PEOPLE)
    assert not failures, f"{len(failures)} of {cells} cells failed:\n" + "\n".join(failures)


async def test_lists_show_what_each_person_may_see(team: Team) -> None:
    """The sessions list shows a shared session with the caller's role and the owner's e-mail; the
    gallery with include_shared shows its media to collaborators only; without it, only one's own."""
    for who in PEOPLE:
        api = team.people[who]
        sessions = (await api.get("/api/v2/sessions")).json()
        listed = {s["id"]: s for s in sessions["items"]}
        gallery = (await api.get("/api/v2/media", params={"include_shared": "true"})).json()
        media_ids = {item["id"] for group in gallery["groups"] for item in group["items"]}
        own_gallery = (await api.get("/api/v2/media")).json()
        own_ids = {item["id"] for group in own_gallery["groups"] for item in group["items"]}
        if who in RANK:
            assert listed[team.session_id]["role"] == who, (who, listed)
            assert listed[team.session_id]["owner_email"] == team.owner.email
            assert sessions["total"] == 1
            assert team.media_id in media_ids, who
            assert (team.media_id in own_ids) == (who == OWNER), who
        else:
            assert team.session_id not in listed and sessions["total"] == 0, (who, sessions)
            assert team.media_id not in media_ids and not media_ids, (who, gallery)
