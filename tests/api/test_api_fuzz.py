"""Property-based fuzzing of the /api/v2 core surface from its OpenAPI schema (schemathesis + hypothesis):
no generated request, valid or not, gets a 500, and every error body carries ``code`` and ``message``.

Runs against a live uvicorn server so generated runs, uploads and deletes go through the real stack.
Bounded (derandomized, a fixed number of examples) to stay well under a minute."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conftest import PASSWORD, edge, node

from .conftest import LiveServer
from .test_api_robustness import CORE_PREFIXES

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

SKIP = ("/api/v2/session/events",  # an endless stream; see test_api_events.py
        "/api/v2/auth/logout")  # would revoke the fuzzer's own token; see tests/trust/test_accounts_hardening.py


def core_schema(raw: dict[str, Any]) -> dict[str, Any]:
    paths = {p: item for p, item in raw["paths"].items() if p.startswith(CORE_PREFIXES) and p not in SKIP}
    return {**raw, "paths": paths}


def send(client: httpx.Client, case: Any, session_id: str) -> httpx.Response:
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    headers.setdefault("X-Session-ID", session_id)
    kw: dict[str, Any] = {}
    body = getattr(case, "body", None)
    media_type = getattr(case, "media_type", None) or "application/json"
    if body is not None and type(body).__name__ != "NotSet":
        if isinstance(body, bytes):
            kw["content"] = body
        elif "json" in media_type:
            kw["content"] = json.dumps(body, default=str).encode()
        else:
            kw["content"] = str(body).encode()
        headers["Content-Type"] = media_type
    return client.request(case.method, case.formatted_path, params=case.query or None, headers=headers, **kw)


@pytest.mark.timeout(120)
def test_fuzz_core_api_never_500(live_server: LiveServer) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    live_server.studio.accounts.create_user("fuzz@example.com", PASSWORD)
    token = live_server.login("fuzz@example.com", PASSWORD)
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        session = client.post("/api/v2/sessions", json={"name": "fuzz"}).json()
        graph = {"nodes": [node("c", "image.solid_color", width=8, height=8), node("a", "image.adjust")],
                 "edges": [edge("c", "image", "a", "image")]}
        assert client.put(f"/api/v2/sessions/{session['id']}/flow",
                          json={"graph": graph, "version": 1}).status_code == 200
        raw = client.get("/openapi.json").json()
        schema = schemathesis.openapi.from_dict(core_schema(raw))
        seen: dict[int, int] = {}

        valid_and_invalid = (schema.as_strategy(schemathesis.GenerationMode.POSITIVE)
                             | schema.as_strategy(schemathesis.GenerationMode.NEGATIVE))

        @given(case=valid_and_invalid)
        @settings(max_examples=400, deadline=None, derandomize=True, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            r = send(client, case, session["id"])
            seen[r.status_code] = seen.get(r.status_code, 0) + 1
            where = f"{case.method} {case.formatted_path} {case.query} -> {r.status_code} {r.text[:300]}"
            assert r.status_code != 500, where
            if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
                body = r.json()
                assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), where
            elif r.status_code >= 400:
                raise AssertionError(f"non-JSON error: {where}")

        check()
    assert sum(seen.values()) >= 100, seen
    assert any(400 <= code < 500 for code in seen), seen  # bad input was generated and refused
