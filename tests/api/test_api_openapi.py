"""The OpenAPI document describes every answer: each route's success status has a response schema."""

from __future__ import annotations

from typing import Any

import httpx

from conftest import FIXTURES, Api

NO_BODY = {"204"}


async def test_every_route_documents_its_success_response(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            successes = {status: answer for status, answer in operation["responses"].items()
                         if status.startswith("2")}
            assert successes, (method, path)
            for status, answer in successes.items():
                if status in NO_BODY:
                    continue
                schemas = [media.get("schema") for media in answer.get("content", {}).values()]
                if not schemas or any(not schema for schema in schemas):
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, missing


async def test_answers_use_one_utc_timestamp_form(api: Api) -> None:
    session = await api.new_session("times")
    upload = await api.upload(session["id"], next(FIXTURES.glob("*.png")))
    answers = [session, (await api.get(f"/api/v2/sessions/{session['id']}")).json(),
               (await api.get("/api/v2/sessions")).json()["items"][0], (await api.get("/api/v2/auth/me")).json(),
               upload, upload["items"][0], (await api.get(f"/api/v2/media/{upload['id']}")).json(),
               (await api.get("/api/v2/media")).json()["groups"][0]["items"][0],
               (await api.get(f"/api/v2/media/sessions/{session['id']}")).json()["items"][0]]
    for answer in answers:
        for key in ("created_at", "updated_at"):
            if key in answer:
                assert answer[key].endswith("Z") and "+" not in answer[key], (key, answer[key])


# Documents that are free-form by nature (JSON Schemas, graphs, parameters, node outputs, metadata);
# every other field of an answer is a named model, so a hand-built dict cannot slip onto the wire unseen.
FREE_FORM = {
    "ErrorPublic.details", "MediaPublic.metadata", "ModelPublic.default_params", "ModelPublic.detected",
    "NodeRunPublic.outputs", "NodeSpecPublic.params_schema", "RecipeListItemPublic.input_schema",
    "RecipePublic.input_schema", "RecipePublic.graph", "RecipeSummaryPublic.input_schema",
    "SavedNodeOutputsPublic.outputs", "SessionPublic.graph", "SessionPublic.viewport", "SessionPublic.tabs",
}


def _free_form(schema: dict[str, Any]) -> bool:
    for variant in schema.get("anyOf", [schema]):
        if variant.get("type") == "array" and "$ref" not in variant.get("items", {}) \
                and variant.get("items", {}).get("type") in (None, "object"):
            return True
        if variant.get("type") == "object" and variant.get("additionalProperties", True) in (True, {}):
            return True
    return False


async def test_answers_name_their_fields_except_free_form_documents(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/api/v2/openapi.json")).json()["components"]["schemas"]
    free_form = {f"{name}.{field}" for name, schema in schemas.items() if name.endswith("Public")
                 for field, prop in schema.get("properties", {}).items() if _free_form(prop)}
    assert free_form == FREE_FORM
