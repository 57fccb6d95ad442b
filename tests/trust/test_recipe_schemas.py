"""Recipe input schemas are user data the server interprets: they must never fetch (``$ref`` to
files or URLs), never backtrack (ReDoS patterns run in RE2), never expand without bound, and
recipe bodies that cannot be stored and served back are refused with stable codes."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, node
from miniaistudio.core.safe_schema import check_input_schema, validate
from miniaistudio.store.tables import Recipe as RecipeRow

EVIL = "^(a+)+$"
EVIL_INPUT = "a" * 27 + "!"


@pytest.fixture
def hits() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request it gets (a fetched $ref would show here)."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"type": "string", "const": "SECRET-FROM-SERVER"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"type": "string", "const": "SECRET-FROM-FILE"}))
    return path


def recipe_doc(recipe_id: str, prop: dict[str, Any], **schema_extra: Any) -> dict[str, Any]:
    """An admin recipe whose one input ``color`` (bound to a solid colour node) has ``prop``."""
    return {"id": recipe_id, "name": "Hostile", "input_schema": {
        "type": "object", "properties": {"color": prop}, **schema_extra},
        "bindings": {"color": [{"node": "bg", "field": "color"}]},
        "graph": {"nodes": [node("bg", "image.solid_color", width=8, height=8)], "edges": []}}


def hostile_schemas(base: str, secret: Path) -> list[tuple[str, dict[str, Any], dict[str, Any], str]]:
    """(case, property schema, extra root keywords, expected code)."""
    return [
        ("file ref", {"$ref": secret.as_uri()}, {}, "SCHEMA_REF_NOT_ALLOWED"),
        ("loopback ref", {"$ref": f"{base}/schema.json"}, {}, "SCHEMA_REF_NOT_ALLOWED"),
        ("relative ref", {"$ref": "other.json#/x"}, {}, "SCHEMA_REF_NOT_ALLOWED"),
        ("missing local ref", {"$ref": "#/$defs/missing"}, {}, "SCHEMA_REF_NOT_ALLOWED"),
        ("missing anchor", {"$ref": "#nowhere"}, {}, "SCHEMA_REF_NOT_ALLOWED"),
        ("remote dynamicRef", {"$dynamicRef": f"{base}/dyn.json#meta"}, {}, "SCHEMA_REF_NOT_ALLOWED"),
        ("remote $schema", {"type": "string"}, {"$schema": f"{base}/meta.json"}, "SCHEMA_REF_NOT_ALLOWED"),
        ("ref cycle", {"$ref": "#/$defs/a"},
         {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}, "SCHEMA_REF_NOT_ALLOWED"),
        ("exponential refs", {"$ref": "#/$defs/d0"},
         {"$defs": {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}] * 2} for i in range(30)}
          | {"d30": {"type": "string"}}}, "SCHEMA_TOO_COMPLEX"),
        ("look-around pattern", {"type": "string", "pattern": "^(?=a)a$"}, {}, "SCHEMA_PATTERN_UNSUPPORTED"),
        ("back-reference key", {"type": "object", "patternProperties": {"(a)\\1": {}}}, {},
         "SCHEMA_PATTERN_UNSUPPORTED"),
        ("not a schema", {"type": "strng"}, {}, "SCHEMA_INVALID"),
        ("negative length", {"type": "string", "minLength": -1}, {}, "SCHEMA_INVALID"),
    ]


CASES = [case for case, *_ in hostile_schemas("http://x", Path("/x"))]


def _case(base: str, secret: Path, name: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    found = {case: (prop, extra, code) for case, prop, extra, code in hostile_schemas(base, secret)}
    return found[name]


@pytest.mark.parametrize("case", CASES)
async def test_admin_add_refuses_hostile_schemas_without_fetching(
        case: str, make_user: Callable[..., Any], hits: tuple[str, list[str]], secret_file: Path) -> None:
    base, seen = hits
    admin: Api = await make_user(admin=True)
    prop, extra, code = _case(base, secret_file, case)
    r = await admin.post("/api/v2/recipes", json=recipe_doc("hostile", prop, **extra))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code, r.text
    assert "SECRET" not in r.text
    assert seen == []
    assert (await admin.get("/api/v2/recipes/hostile")).status_code == 404


@pytest.mark.parametrize("case", ["file ref", "loopback ref", "missing local ref", "look-around pattern",
                                  "remote dynamicRef", "remote $schema", "not a schema"])
async def test_publish_refuses_hostile_schemas_without_fetching(
        case: str, api: Api, hits: tuple[str, list[str]], secret_file: Path) -> None:
    base, seen = hits
    prop, extra, code = _case(base, secret_file, case)
    prop = {**prop, **extra}  # publish takes one schema per input
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("bg", "image.solid_color", width=8, height=8)], "edges": []})
    r = await api.post(f"/api/v2/sessions/{session['id']}/publish-recipe", json={
        "id": "mine", "name": "Mine", "inputs": [{"name": "color", "node_id": "bg", "field": "color",
                                                  "schema": prop}]})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code, r.text
    assert seen == []


def _store_row(studio: Any, document: dict[str, Any]) -> None:
    """A recipe stored before the schema rules existed (written straight into the table)."""
    now = datetime.now(UTC)
    with studio.db.session() as s:
        s.add(RecipeRow(scope="*", id=document["id"], owner_id=None, source="admin", name=document["name"],
                        description="", version="1.0.0", document=document, created_at=now, updated_at=now))


@pytest.mark.parametrize("case", ["file ref", "loopback ref", "missing local ref", "remote $schema",
                                  "ref cycle", "look-around pattern"])
async def test_run_refuses_stored_hostile_schemas_without_fetching(
        case: str, studio: Any, api: Api, hits: tuple[str, list[str]], secret_file: Path) -> None:
    base, seen = hits
    prop, extra, code = _case(base, secret_file, case)
    doc = recipe_doc("legacy", prop, **extra)
    doc["input_schema"]["required"] = ["color"]
    _store_row(studio, doc)
    for execute in (False, True):
        r = await api.post("/api/v2/recipes/legacy/run", json={"execute": execute, "inputs": {"color": "#102030"}})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == code, r.text
        assert "SECRET" not in r.text
    assert seen == []
    assert (await api.get("/api/v2/sessions")).json()["total"] == 0


async def test_recipe_files_with_hostile_schemas_are_skipped(
        studio: Any, api: Api, tmp_path: Path, secret_file: Path, hits: tuple[str, list[str]]) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "evil.json").write_text(json.dumps(recipe_doc("evil_file", {"$ref": secret_file.as_uri()})))
    (folder / "good.json").write_text(json.dumps(recipe_doc("good_file", {"type": "string"})))
    studio.recipes.recipes_dir = folder
    ids = {r["id"] for r in (await api.get("/api/v2/recipes")).json()["recipes"]}
    assert "good_file" in ids and "evil_file" not in ids
    assert (await api.post("/api/v2/recipes/evil_file/run", json={})).status_code == 404


def test_redos_pattern_validates_in_linear_time() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": EVIL}},
              "patternProperties": {EVIL: {"type": "integer"}}}
    check_input_schema(schema)
    for text in (EVIL_INPUT, "a" * 200_000 + "!"):
        started = time.perf_counter()
        errors = validate(schema, {"s": text, text: "not an integer either"})
        elapsed = time.perf_counter() - started
        assert elapsed < 0.1, elapsed
        assert {e.validator for e in errors} == {"pattern"}  # the key does not match: no integer check
    assert validate(schema, {"s": "aaaa", "aaa": 3}) == []


async def test_redos_pattern_through_the_api(make_user: Callable[..., Any], api: Api) -> None:
    admin: Api = await make_user(admin=True)
    r = await admin.post("/api/v2/recipes", json=recipe_doc(
        "redos", {"type": "string", "pattern": EVIL},
        patternProperties={EVIL: {"type": "string"}}, additionalProperties=False))
    assert r.status_code == 201, r.text
    for text in (EVIL_INPUT, "a" * 100_000 + "!"):
        started = time.perf_counter()
        r = await api.post("/api/v2/recipes/redos/run", json={"inputs": {"color": text}})
        assert time.perf_counter() - started < 1.0
        assert r.status_code == 422 and r.json()["code"] == "SCHEMA_VALIDATION", r.text
        started = time.perf_counter()
        r = await api.post("/api/v2/recipes/redos/run", json={"inputs": {text: "x"}})
        assert time.perf_counter() - started < 1.0
        assert r.status_code == 422 and r.json()["code"] == "SCHEMA_VALIDATION", r.text
        assert "additionalProperties" in {e["validator"] for e in r.json()["details"]["errors"]}


def test_format_regex_values_are_checked_by_re2() -> None:
    schema = {"type": "object", "properties": {"re": {"type": "string", "format": "regex"}}}
    check_input_schema(schema)
    assert validate(schema, {"re": EVIL}) == []  # compiling is linear; only matching could blow up
    assert [e.validator for e in validate(schema, {"re": "(?=x)"})] == ["format"]
    assert [e.validator for e in validate(schema, {"re": "(a)\\1"})] == ["format"]


def test_unique_items_is_not_quadratic() -> None:
    schema = {"type": "array", "uniqueItems": True}
    check_input_schema(schema)
    items = [{"n": i} for i in range(50_000)]
    started = time.perf_counter()
    assert validate(schema, items) == []
    assert time.perf_counter() - started < 2.0
    assert [e.validator for e in validate(schema, [1, 2, 1.0])] == ["uniqueItems"]
    assert validate(schema, [1, True, "1", [1], {"a": 1}, {"a": True}]) == []


def test_local_refs_and_embedded_resources_still_work() -> None:
    schema = {"type": "object", "$defs": {"name": {"$anchor": "name", "type": "string", "minLength": 2}},
              "properties": {"a": {"$ref": "#/$defs/name"}, "b": {"$ref": "#name"},
                             "c": {"$id": "https://example.com/inner", "type": "integer",
                                   "$defs": {"x": {"maximum": 3}}, "allOf": [{"$ref": "#/$defs/x"}]}}}
    check_input_schema(schema)
    assert validate(schema, {"a": "ok", "b": "ok", "c": 2}) == []
    assert sorted(e.validator for e in validate(schema, {"a": "x", "b": "y", "c": 9})) == [
        "maximum", "minLength", "minLength"]


@pytest.mark.parametrize(("body", "code"), [
    ('{"id": "nan1", "name": "x", "description": NaN}', "JSON_VALUE_INVALID"),
    ('{"id": "inf1", "name": "x", "input_schema": {"type": "object", "properties": {"a": {"maximum": Infinity}}}}',
     "JSON_VALUE_INVALID"),
    ('{"id": "sur1", "name": "\\ud800 lone"}', "JSON_VALUE_INVALID"),
    ('{"id": "big1", "name": "x", "version": 1' + "0" * 400 + "}", "JSON_VALUE_INVALID"),
    ('{"id": "deep1", "name": "x", "input_schema": ' + '{"not": ' * 200 + "{}" + "}" * 200 + "}",
     "JSON_TOO_DEEP"),
])
async def test_admin_recipe_bodies_that_cannot_be_stored_answer_stable_codes(
        make_user: Callable[..., Any], body: str, code: str) -> None:
    admin: Api = await make_user(admin=True)
    r = await admin.post("/api/v2/recipes", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["code"] == code, r.text


async def test_publish_bodies_that_cannot_be_stored_answer_stable_codes(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("bg", "image.solid_color", width=8, height=8)], "edges": []})
    url = f"/api/v2/sessions/{session['id']}/publish-recipe"
    for schema, code in [('{"type": "string", "maxLength": NaN}', "JSON_VALUE_INVALID"),
                         ('{"type": "string", "description": "\\udfff"}', "JSON_VALUE_INVALID"),
                         ('{"type": "string", "maxLength": 1' + "0" * 300 + "}", "JSON_VALUE_INVALID"),
                         ('{"not": ' * 200 + "{}" + "}" * 200, "JSON_TOO_DEEP")]:
        body = ('{"id": "pub", "name": "P", "inputs": [{"name": "color", "node_id": "bg", "field": "color", '
                f'"schema": {schema}}}]}}')
        r = await api.post(url, content=body, headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, r.text
        assert r.json()["code"] == code, r.text


async def test_oversized_run_inputs_are_refused(make_user: Callable[..., Any], api: Api, studio: Any) -> None:
    admin: Api = await make_user(admin=True)
    assert (await admin.post("/api/v2/recipes", json=recipe_doc("plain", {"type": "string"}))).status_code == 201
    big = "x" * (studio.settings.max_recipe_input_bytes + 10)
    r = await api.post("/api/v2/recipes/plain/run", json={"inputs": {"color": big}})
    assert r.status_code == 413 and r.json()["code"] == "JSON_TOO_LARGE", r.text
    r = await api.post("/api/v2/recipes/plain/run", content='{"inputs": {"color": NaN}}',
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "JSON_VALUE_INVALID", r.text
