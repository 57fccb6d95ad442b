"""The seed's error table, each status provoked through the real app in the Studii envelope (a 422
never leaves the door), plans (Pro by default with billing on; Team and Business run every tool;
set by an admin through the API or the CLI) and their per-key rate limits (Pro 60/min, Team 300/min)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Api
from miniaistudio.studio import Studio

from .conftest import bearer, grant, install, set_plan, studii_error, studii_key, uploaded, x_api_key

pytestmark = pytest.mark.timeout(180)
SRC = Path(__file__).resolve().parents[2] / "src"


async def post_job(client: httpx.AsyncClient, key: str | None, body: Any = None, **kw: Any) -> httpx.Response:
    headers = bearer(key) if key else {}
    if body is None or isinstance(body, (dict, list)):
        return await client.post("/api/v1/jobs", headers=headers, json=body, **kw)
    return await client.post("/api/v1/jobs", headers={**headers, "Content-Type": "application/json"}, content=body)


def refused(r: httpx.Response, status: int, code: str, *naming: str) -> dict[str, str]:
    assert r.status_code == status, r.text
    error = studii_error(r)
    assert error["code"] == code, error
    for word in naming:
        assert word in error["error"], error
    return error


async def test_400_names_the_missing_or_invalid_fields(api: Api) -> None:
    key = await studii_key(api)
    cases: list[tuple[Any, tuple[str, ...]]] = [
        ({"inputs": {}}, ("tool",)),
        ({"tool": "teleport", "inputs": {}}, ("tool", "teleport", "studio")),
        ({"tool": "studio", "inputs": {"mode": "image"}}, ("inputs.prompt",)),
        ({"tool": "studio", "inputs": {"mode": "audio", "prompt": "x"}}, ("inputs.mode",)),
        ({"tool": "studio", "inputs": {"prompt": "x", "aspect_ratio": "7:5", "colour": "red"}},
         ("inputs.aspect_ratio", "inputs.colour")),
        ({"tool": "studio", "inputs": {"prompt": "x", "source": "image"}}, ("source_object_key",)),
        ({"tool": "photo-restore", "inputs": {}}, ("source_object_key",)),
        ({"tool": "photo-restore", "inputs": {"upscale": "maybe"}, "source_object_key": "k"}, ("inputs.upscale",)),
        ({"tool": "product-background", "inputs": {"background": "lava"}, "source_object_key": "k"},
         ("inputs.background",)),
        ({"tool": "studio", "inputs": "prompt"}, ("inputs",)),
        ('{"tool": "studio", "inputs": ', ("body",)),
        ("[]", ()),
    ]
    for body, naming in cases:
        refused(await post_job(api.client, key, body), 400, "invalid_request", *naming)


async def test_401_missing_malformed_or_revoked_key(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    body = {"tool": "studio", "inputs": {"prompt": "x"}}
    refused(await api.client.post("/api/v1/jobs", json=body), 401, "missing_api_key")
    refused(await api.client.get("/api/v1/jobs/job_x"), 401, "missing_api_key")
    for bad in ("stu_short", key[:-1] + ("A" if key[-1] != "A" else "B"), "Bearer"):
        refused(await api.client.post("/api/v1/jobs", json=body, headers=bearer(bad)), 401, "invalid_api_key")
        refused(await api.client.get("/api/v1/jobs/job_x", headers=x_api_key(bad)), 401, "invalid_api_key")
    refused(await api.client.get("/api/v1/jobs/job_x", headers={"Authorization": f"Token {key}"}),
            401, "invalid_api_key")
    key_id = next(k["id"] for k in (await api.get("/api/v1/keys")).json()["data"] if k["kind"] == "stu")
    assert (await api.request("DELETE", f"/api/v1/keys/{key_id}")).status_code == 200
    refused(await post_job(api.client, key, body), 401, "invalid_api_key")
    refused(await api.client.get("/api/v1/jobs/job_x", headers=x_api_key(key)), 401, "invalid_api_key")


async def test_402_out_of_credits_and_the_keys_spend_cap(studio: Studio, admin: Api, api: Api,
                                                         tiny_sd: Path) -> None:
    await install(admin, tiny_sd, name="tiny-sd", credits_per_generation=8, default_params={"steps": 2})
    body = {"tool": "studio", "inputs": {"prompt": "a forest"}}
    broke = await studii_key(api)
    refused(await post_job(api.client, broke, body), 402, "insufficient_credits")
    await grant(api, studio, 100)
    capped = await studii_key(api, spend_cap=5)
    refused(await post_job(api.client, capped, body), 402, "spend_cap_reached")
    assert (await api.get("/api/v2/billing/balance")).json()["available"] == 100  # nothing ran, nothing held


async def test_403_the_plan_does_not_allow_the_tool(studio: Studio, admin: Api, api: Api) -> None:
    key = await studii_key(api)
    object_key = await uploaded(api.client, key)
    plan = (await api.get("/api/v2/account/plan")).json()
    assert plan["plan"] == "pro" and plan["set_by_admin"] is False and plan["rate_limit_per_minute"] == 60
    assert plan["tools"] == ["studio", "photo-restore", "product-background"]
    for tool in ("virtual-staging", "career-photo"):
        refused(await post_job(api.client, key, {"tool": tool, "inputs": {}, "source_object_key": object_key}),
                403, "plan_forbids_tool", tool, "pro")
    for tool in ("photo-restore", "product-background"):  # in Pro: past the plan (their recipes may be missing)
        r = await post_job(api.client, key, {"tool": tool, "inputs": {}, "source_object_key": object_key})
        assert r.status_code == 202, r.text
    team = await set_plan(admin, api, "team")
    assert team["plan"] == "team" and team["set_by_admin"] and len(team["tools"]) == 5
    r = await post_job(api.client, key, {"tool": "virtual-staging", "inputs": {}, "source_object_key": object_key})
    assert r.status_code == 202, r.text
    # a key without the generate scopes may read, not submit
    reader = await studii_key(api, scopes=["read"])
    refused(await post_job(api.client, reader, {"tool": "studio", "inputs": {"prompt": "x"}}), 403,
            "insufficient_scope")


async def test_only_admins_set_plans(studio: Studio, admin: Api, api: Api) -> None:
    me = (await api.get("/api/v2/auth/me")).json()["id"]
    r = await api.put(f"/api/v2/users/{me}/plan", json={"plan": "business"})
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    r = await admin.put(f"/api/v2/users/{me}/plan", json={"plan": "platinum"})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST"
    r = await admin.put("/api/v2/users/no-such-user/plan", json={"plan": "team"})
    assert r.status_code == 404 and r.json()["code"] == "USER_NOT_FOUND"
    assert (await set_plan(admin, api, "business"))["plan"] == "business"
    back = await set_plan(admin, api, None)
    assert back["plan"] == "pro" and back["set_by_admin"] is False


def test_the_cli_sets_a_plan(studio: Studio) -> None:
    studio.accounts.create_user("cli@example.com", "correct-horse-battery")
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "MINIAI_BILLING": "credits", "MINIAI_MODELS_DIR": str(studio.settings.resolved_models_dir)}
    done = subprocess.run([sys.executable, "-m", "miniaistudio.cli", "users", "plan", "cli@example.com", "team",
                           "--data-dir", str(studio.settings.data_dir)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "cli@example.com: plan team" in done.stdout
    assert studio.plans.of(studio.accounts.user_id_by_email("cli@example.com")).plan == "team"
    bad = subprocess.run([sys.executable, "-m", "miniaistudio.cli", "users", "plan", "cli@example.com", "gold",
                          "--data-dir", str(studio.settings.data_dir)], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert bad.returncode != 0 and "gold" in bad.stderr


async def requests_until_refused(client: httpx.AsyncClient, key: str, limit: int) -> httpx.Response:
    """``limit`` requests in the window all pass (a 404 for an unknown job); the next is refused."""
    for n in range(limit):
        r = await client.get("/api/v1/jobs/job_nope", headers=bearer(key) if n % 2 else x_api_key(key))
        assert r.status_code == 404, (n, r.text)
        assert r.headers["X-RateLimit-Limit"] == str(limit)
    return await client.get("/api/v1/jobs/job_nope", headers=bearer(key))


async def test_pro_keys_make_60_requests_a_minute(api: Api) -> None:
    key = await studii_key(api)
    r = await requests_until_refused(api.client, key, 60)
    refused(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1 and r.headers["X-RateLimit-Remaining"] == "0"
    other = await studii_key(api)  # per key
    assert (await api.client.get("/api/v1/jobs/job_nope", headers=bearer(other))).status_code == 404


async def test_team_keys_make_300_requests_a_minute(admin: Api, api: Api) -> None:
    await set_plan(admin, api, "team")
    key = await studii_key(api)
    refused(await requests_until_refused(api.client, key, 300), 429, "rate_limited")


async def test_no_answer_is_a_422_or_a_500(api: Api) -> None:
    key = await studii_key(api)
    hostile: list[Any] = [{"tool": 5}, {"tool": "studio", "inputs": {"prompt": "x" * 5000}},
                          {"tool": "studio", "inputs": {"prompt": "x"}, "source_object_key": "k" * 500},
                          {"tool": None}, "null", '"studio"', '{"tool": "studio", "inputs": {"prompt": "\\ud800"}}']
    answers = await asyncio.gather(*(post_job(api.client, key, body) for body in hostile))
    for body, r in zip(hostile, answers, strict=True):
        assert r.status_code == 400, (body, r.text)
        studii_error(r)
    uploads = await api.client.post("/api/v1/uploads", headers=bearer(key), json={"filename": 3})
    refused(uploads, 400, "invalid_request", "filename", "content_type")
