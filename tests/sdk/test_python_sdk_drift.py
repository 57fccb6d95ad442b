"""The Python SDK's models and calls against the served OpenAPI document (/api/v2/openapi.json):
fails when the API changes under the SDK — a field added, removed, retyped or made optional, a
route moved, an answer's model changed — so the SDK's mirrors of the server's models cannot drift."""

from __future__ import annotations

import asyncio
import inspect
import re
from typing import Any

import httpx
import pytest

from conftest import TEST_HOST, make_settings
from miniaistudio.app import create_app
from miniaistudio.sdk import calls, models
from miniaistudio.sdk.calls import Call
from miniaistudio.sdk.models import SdkModel

MIRRORS = [m for _, m in inspect.getmembers(models, inspect.isclass)
           if issubclass(m, SdkModel) and m.openapi_name]
SDK_NAME = {m.openapi_name: m.__name__ for m in MIRRORS}
REQUESTS = {"RecipeRun", "ChainItem", "FilenameItem"}  # request bodies: validation-mode schemas


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document a real studio serves (fetched once: every check reads the same one)."""
    app = create_app(make_settings(tmp_path_factory.mktemp("drift")))

    async def fetch() -> dict[str, Any]:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{TEST_HOST}") as client:
            r = await client.get("/api/v2/openapi.json")
            assert r.status_code == 200
            document: dict[str, Any] = r.json()
            return document

    return asyncio.run(fetch())


def shape(schema: dict[str, Any], names: dict[str, str]) -> str:
    """A schema as a comparable type expression; ``names`` renames referenced components."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return names.get(name, name)
    if "anyOf" in schema:
        return " | ".join(sorted(shape(s, names) for s in schema["anyOf"]))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return shape(schema["allOf"][0], names)
    kind = schema.get("type")
    if "enum" in schema:
        return f"{kind}{sorted(schema['enum'])}"
    if kind == "array":
        return f"list[{shape(schema.get('items', {}), names)}]"
    if kind == "object":
        values = schema.get("additionalProperties")
        return f"dict[{shape(values, names)}]" if isinstance(values, dict) else "object"
    if kind == "string" and schema.get("format") == "date-time":
        return "datetime"
    return str(kind or "any")


def fields(schema: dict[str, Any], names: dict[str, str]) -> dict[str, tuple[str, bool]]:
    required = set(schema.get("required", []))
    return {name: (shape(prop, names), name in required) for name, prop in schema.get("properties", {}).items()}


@pytest.mark.parametrize("mirror", MIRRORS, ids=lambda m: m.__name__)
def test_every_model_matches_its_served_schema(openapi: dict[str, Any], mirror: type[SdkModel]) -> None:
    served = openapi["components"]["schemas"].get(mirror.openapi_name)
    assert served is not None, f"{mirror.__name__}: the API has no {mirror.openapi_name} any more"
    mode = "validation" if mirror.openapi_name in REQUESTS else "serialization"
    ours = mirror.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")
    theirs = fields(served, SDK_NAME)
    mine = fields(ours, {})
    assert mine == theirs, (f"{mirror.__name__} differs from {mirror.openapi_name}: "
                            f"only served {sorted(theirs.items() - mine.items())}, "
                            f"only in the SDK {sorted(mine.items() - theirs.items())}")


def sample_calls() -> list[Call[Any]]:
    """One call of each builder, with placeholder arguments."""
    found = []
    for name, builder in inspect.getmembers(calls, inspect.isfunction):
        if name.startswith("_") or name.endswith("_path") or builder.__module__ != calls.__name__:
            continue  # paths of streamed answers (uploads, downloads, events) have no JSON model
        params = inspect.signature(builder).parameters
        args = {"recipe_id": "r-id", "session_id": "s-id", "node_id": "n-id", "name": "n", "graph": None,
                "version": 1, "viewport": None, "tabs": None, "chain": [], "mode": "graceful", "query": None,
                "limit": 10, "offset": 0, "request": models.RunRecipeRequest(), "media_id": "m-id",
                "media_type": "image", "page": 1, "page_size": 10}
        found.append(builder(**{p: args[p] for p in params}))
    return found


@pytest.mark.parametrize("call", sample_calls(), ids=lambda c: f"{c.method} {c.path}")
def test_every_call_names_a_served_route_and_its_answer(openapi: dict[str, Any], call: Call[Any]) -> None:
    routes = {re.sub(r"\{[^}]+\}", "[^/]+", path): ops for path, ops in openapi["paths"].items()}
    matches = [ops for pattern, ops in routes.items() if re.fullmatch(pattern, call.path)]
    assert matches, f"no served route for {call.path}"
    operation = matches[0].get(call.method.lower())
    assert operation is not None, f"{call.path} answers no {call.method}"
    answer = next(operation["responses"][code] for code in ("200", "201", "202") if code in operation["responses"])
    expected = {"$ref": f"#/components/schemas/{call.answer.openapi_name}"}
    assert answer["content"]["application/json"]["schema"] == expected
    if call.json is not None and "requestBody" in operation:
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        ref = body.get("$ref") or next((s["$ref"] for s in body.get("anyOf", []) if "$ref" in s), None)
        if ref is not None:
            properties = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("properties", {})
            unknown = set(call.json) - set(properties)
            assert not unknown, f"{call.path}: the API takes no {unknown}"
