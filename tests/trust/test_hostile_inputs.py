"""Hostile input against every route: the shapes hostile testing found (deep nesting, huge numbers,
NaN, lone surrogates, megabyte strings, wrong types, malformed URLs, far dates, parent cycles, loops
beyond the cap, hostile schemas, image bombs). No answer may be a 5xx, every error carries a stable
code, and the server still answers ``/ping`` afterwards.

The routes and their valid requests come from the OpenAPI document and the authorization matrix's
rows, so a new route is fed the same shapes. tests/api/test_api_fuzz.py adds schemathesis on top."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from conftest import PASSWORD, node
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

from .figures import Figures
from .test_authz_matrix import (
    ADMIN,
    BASE_URL,
    FORBIDDEN,
    OWNER,
    ROWS,
    Call,
    Callers,
    build_owned,
    openapi_operations,
    transport,
)

#: The expansion cap of these tests: small, so a refusal is cheap and its absence is too.
EXPANSION_CAP = 200
MIB = 1024 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_expanded_nodes": EXPANSION_CAP})


def nested(depth: int, kind: str = "array") -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


#: Values as JSON text, spliced into bodies where a value is expected.
BODY_SHAPES: dict[str, str] = {
    "array nested 900": nested(900),
    "array nested 5000": nested(5000),
    "object nested 900": nested(900, "object"),
    "object nested 5000": nested(5000, "object"),
    "1e400": "1e400",
    "-1e400": "-1e400",
    "10**5000": "1" + "0" * 5000,
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "lone surrogate": '"\\ud800"',
    "lone surrogate in a key": '{"\\udfff": 1}',
    "1 MiB string": json.dumps("x" * MIB),
    "true": "true",
    "null": "null",
    "empty object": "{}",
    "list of strings": '["a", "b"]',
    "negative": "-1",
    "2**64": str(2**64),
}

#: Whole bodies that are not what any route takes.
RAW_BODIES: dict[str, bytes] = {
    "not json": b"{not json",
    "truncated": b'{"a": [1, 2',
    "invalid utf-8": b'{"name": "\xff\xfe"}',
    "BOM then json": b'\xef\xbb\xbf{"name": "x"}',
}

QUERY_SHAPES: dict[str, str] = {
    "1e400": "1e400",
    "10**5000": "1" + "0" * 5000,
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-1": "-1",
    "2**64": str(2**64),
    "empty": "",
    "16 KiB string": "x" * 16384,
    "nul byte": "a\x00b",
    "far past +14:00": "0001-01-01T00:00:00+14:00",
    "far future -14:00": "9999-12-31T23:59:59-14:00",
    "far past -23:59": "0001-01-01T00:00:00-23:59",
    "year 0": "0000-01-01T00:00:00Z",
    "year 10000": "10000-01-01T00:00:00Z",
    "not a date": "yesterday",
}

DATE_LIKE = ("date", "time", "_at", "since", "until", "from", "to")

MALFORMED_URLS = ("http://[::1", "http://127.0.0.1:99999/x.png", "http://0177.0.0.1/x.png", "file:///etc/passwd",
                  "gopher://127.0.0.1:70/x", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/x.png",
                  "http://[2002:7f00:1::1]/x.png", "http://[fec0::1]/x.png", "http://localhost/x.png",
                  "http://%00/x", "http://" + "a" * 300 + ".com/x.png", "https:///x.png", "http://a b/x.png",
                  "javascript:alert(1)", "")


class Tally:
    """Hostile inputs tried and the answers that broke the rules."""

    def __init__(self) -> None:
        self.tried = 0
        self.server_errors = 0
        self.problems: list[str] = []

    def check(self, what: str, r: httpx.Response) -> None:
        self.tried += 1
        what = what if len(what) < 160 else what[:150] + "…"
        if r.status_code >= 500:
            self.server_errors += 1
            self.problems.append(f"{what}: {r.status_code} {r.text[:160]}")
            return
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                self.problems.append(f"{what}: non-JSON error {r.status_code} {r.text[:80]}")
                return
            if isinstance(body, dict) and isinstance(body.get("error"), dict):  # AI Visual Studio's envelope
                body = body["error"]
            code = body.get("code") if isinstance(body, dict) else None
            if not isinstance(code, str) or not code or code in ("INTERNAL_ERROR", "internal_error"):
                self.problems.append(f"{what}: error without a stable code {r.status_code} {r.text[:160]}")

    def expect(self, what: str, ok: bool, r: httpx.Response) -> None:
        """A rule beyond 'no 5xx' (e.g. the exact refusal a class of input must get)."""
        if not ok:
            what = what if len(what) < 160 else what[:150] + "…"
            self.problems.append(f"{what}: {r.status_code} {r.text[:200]}")

    def report(self, figures: Figures) -> None:
        figures.add("hostile_inputs", self.tried)
        figures.add("server_errors", self.server_errors)
        groups: dict[str, list[str]] = {}
        for problem in self.problems:  # grouped by route (the first two words), for a readable report
            groups.setdefault(" ".join(problem.split(" ")[:2]), []).append(problem)
        if self.problems:
            lines = [f"{len(items)} x {where}, e.g.\n    " + "\n    ".join(items[:4])
                     for where, items in groups.items()]
            pytest.fail(f"{len(self.problems)} of {self.tried} hostile inputs broke the rules:\n" + "\n".join(lines),
                        pytrace=False)


@pytest.fixture
async def hostile(studio: Studio) -> AsyncIterator[tuple[httpx.AsyncClient, Callers, Any]]:
    app = create_app(studio.settings, studio)
    async with httpx.AsyncClient(transport=transport(app), base_url=BASE_URL, timeout=60) as client:
        callers = Callers(client, studio.settings)
        await callers.set_up(studio)
        yield client, callers, app


def body_schema(openapi: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(openapi, content["application/json"].get("schema", {}))


def resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and pick the object branch of ``anyOf`` (optional bodies)."""
    for _ in range(10):
        if "$ref" in schema:
            schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema:
            branches = [b for b in schema["anyOf"] if b.get("type") != "null"]
            schema = branches[0] if branches else {}
        else:
            break
    return schema


def splice(base: dict[str, Any], key: str, raw: str) -> bytes:
    """``base`` as JSON text with ``key``'s value replaced by the raw JSON text ``raw``."""
    marker = "\u0000SPLICE\u0000"
    text = json.dumps({**base, key: marker})
    return text.replace(json.dumps(marker), raw).encode()


async def test_hostile_shapes_on_every_route(hostile: tuple[httpx.AsyncClient, Callers, Any], studio: Studio,
                                             figures: Figures) -> None:
    client, callers, app = hostile
    owned = await build_owned(callers, studio)
    openapi = app.openapi()
    tally = Tally()
    for method, template in sorted(openapi_operations(openapi)):
        row = ROWS.get((method, template))
        if row is None or row.stream or row.changes_credentials:
            continue  # a missing row fails the matrix; streams and credential changes are covered there
        operation = openapi["paths"][template][method.lower()]
        who = ADMIN if row.owner == FORBIDDEN else OWNER
        base = row.fill(owned, who)
        path = template.format(**base.path_params)
        schema = body_schema(openapi, operation)
        queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if schema is None and not queries:
            continue

        async def send(what: str, call: Call, content: bytes | None = None, *, path: str = path,
                       method: str = method, who: str = who, template: str = template) -> None:
            headers = {**call.headers}
            kw: dict[str, Any] = {"params": call.params or None}
            if content is not None:
                headers["Content-Type"] = "application/json"
                kw["content"] = content
            elif call.json is not None:
                kw["json"] = call.json
            if call.files is not None:
                kw["files"] = call.files
            r = await callers.as_(who, method, path, headers=headers, **kw)
            tally.check(f"{method} {path} {what}", r)
            if r.status_code == 200 and template.endswith("/flow"):
                owned.version = r.json()["version"]

        if schema is not None:
            fields = set(schema.get("properties", {})) | set(base.json if isinstance(base.json, dict) else {})
            for name, raw in BODY_SHAPES.items():
                await send(f"body={name}", base, raw.encode())
                for key in sorted(fields):
                    await send(f"{key}={name}", base, splice(base.json or {}, key, raw))
            for name, content in RAW_BODIES.items():
                await send(f"body {name}", base, content)
            for key in sorted(fields):
                if "url" in key.lower():
                    for url in MALFORMED_URLS:
                        await send(f"{key}={url!r}", base, splice(base.json or {}, key, json.dumps(url)))
        for param in queries:
            shapes = dict(QUERY_SHAPES)
            if not any(hint in param for hint in DATE_LIKE):
                shapes = {k: v for k, v in shapes.items() if "/" not in k and "year" not in k and "past" not in k}
            for name, value in shapes.items():
                await send(f"?{param}={name}", Call(headers=base.headers, params={**base.params, param: value},
                                                    json=base.json, files=base.files))
    # Prefer: wait with hostile numbers on the run routes.
    for value in ("wait=1e400", "wait=nan", "wait=-1", "wait=" + "9" * 5000, "wait=inf"):
        r = await callers.as_(OWNER, "POST", "/api/v2/session/execute", json={"mode": "full"},
                              headers={"X-Session-ID": owned.session_id, "Prefer": value})
        tally.check(f"Prefer: {value}", r)
    ping = await client.get("/api/v2/ping")
    tally.check("ping afterwards", ping)
    tally.expect("ping afterwards", ping.status_code == 200, ping)
    tally.report(figures)


async def test_malformed_urls_in_recipe_inputs(hostile: tuple[httpx.AsyncClient, Callers, Any],
                                               figures: Figures) -> None:
    """Every recipe input named *url*, with execute true and false: refused with a stable code."""
    client, callers, _ = hostile
    recipes = (await callers.as_(OWNER, "GET", "/api/v2/recipes")).json()["recipes"]
    tally = Tally()
    seen: set[str] = set()  # one recipe per input name: they share the fetch path
    for summary in recipes:
        recipe = (await callers.as_(OWNER, "GET", f"/api/v2/recipes/{summary['id']}")).json()
        properties = recipe.get("input_schema", {}).get("properties", {})
        for name in (n for n in properties if "url" in n.lower() and n not in seen):
            seen.add(name)
            for url in MALFORMED_URLS:
                for execute in (False, True):
                    r = await callers.as_(OWNER, "POST", f"/api/v2/recipes/{summary['id']}/run",
                                          json={"execute": execute, "inputs": {name: url}})
                    tally.check(f"{summary['id']} {name}={url!r} execute={execute}", r)
                    tally.expect(f"{summary['id']} {name}={url!r} execute={execute} is refused",
                                 400 <= r.status_code < 500, r)
    assert tally.tried, "no recipe has a URL input"
    tally.check("ping afterwards", await client.get("/api/v2/ping"))
    tally.report(figures)


def group_graph(members: int, iterations: int, group_id: str = "g") -> dict[str, Any]:
    nodes = [{"id": group_id, "type": "group", "params": {}}]
    nodes += [{**node(f"m{i}", "text", text="x"), "parent_id": group_id} for i in range(members)]
    nodes.append(node("L", "loop", group_id=group_id, iterations=[{"id": f"i{k}"} for k in range(iterations)]))
    return {"nodes": nodes, "edges": []}


PARENT_CYCLES: dict[str, tuple[dict[str, Any], str]] = {
    "a group that is its own parent": ({"nodes": [
        {"id": "g", "type": "group", "parent_id": "g"},
        {"id": "L", "type": "loop", "params": {"group_id": "g", "iterations": [{"id": "one"}]}}], "edges": []},
        "GROUP_PARENT_CYCLE"),
    "two groups parenting each other": ({"nodes": [
        {"id": "g1", "type": "group", "parent_id": "g2"}, {"id": "g2", "type": "group", "parent_id": "g1"},
        {**node("t", "text", text="x"), "parent_id": "g1"},
        {"id": "L", "type": "loop", "params": {"group_id": "g1", "iterations": [{"id": "one"}]}}], "edges": []},
        "GROUP_PARENT_CYCLE"),
    "a node whose parent does not exist": ({"nodes": [{**node("t", "text", text="x"), "parent_id": "ghost"}],
                                            "edges": []}, "UNKNOWN_PARENT"),
}


async def test_hostile_graphs_are_refused_when_saved(hostile: tuple[httpx.AsyncClient, Callers, Any],
                                                     figures: Figures) -> None:
    """Parent cycles and dangling parents are refused by every door that stores a graph (so no walk can
    spin on one); documents too deep for an encoder are refused or stay readable; a loop expanding beyond
    ``max_expanded_nodes`` is refused before it expands."""
    client, callers, _ = hostile
    tally = Tally()

    async def fresh_session() -> dict[str, Any]:
        r = await callers.as_(OWNER, "POST", "/api/v2/sessions", json={"name": "hostile graphs"})
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    for name, (graph, sub_code) in PARENT_CYCLES.items():
        one, two = await fresh_session(), await fresh_session()
        doors = {
            "PUT /sessions/{id}/flow": ("PUT", f"/api/v2/sessions/{one['id']}/flow", {},
                                        {"graph": graph, "version": one["version"]}),
            "PUT /session/flow": ("PUT", "/api/v2/session/flow", {"X-Session-ID": two["id"]},
                                  {"graph": graph, "version": two["version"]}),
            "POST /sessions": ("POST", "/api/v2/sessions", {}, {"name": "cyclic", "graph": graph}),
        }
        for door, (method, url, headers, body) in doors.items():
            r = await callers.as_(OWNER, method, url, headers=headers, json=body)
            tally.check(f"{name} via {door}", r)
            tally.expect(f"{name} via {door}: refused with GRAPH_INVALID naming {sub_code}",
                         r.status_code == 422 and r.json().get("code") == "GRAPH_INVALID" and sub_code in r.text, r)

    # A loop whose expansion exceeds the cap: refused before expanding, with a stable code.
    session = await fresh_session()
    over = group_graph(members=20, iterations=EXPANSION_CAP // 20 + 1)
    r = await callers.as_(OWNER, "PUT", f"/api/v2/sessions/{session['id']}/flow",
                          json={"graph": over, "version": session["version"]})
    tally.check("loop beyond the cap: save", r)
    if r.status_code == 200:
        r = await callers.as_(OWNER, "POST", "/api/v2/session/execute", json={"mode": "full"},
                              headers={"X-Session-ID": session["id"], "Prefer": "wait=60"})
        tally.check("loop beyond the cap: execute", r)
    tally.expect("loop beyond the cap: GRAPH_TOO_LARGE", r.status_code == 422 and
                 r.json().get("code") == "GRAPH_TOO_LARGE", r)

    # An over-long loop target and deep free-form documents: refused, or accepted and readable forever.
    documents: dict[str, dict[str, Any]] = {
        "over-long loop group_id": {"graph": group_graph(1, 1, group_id="g" * 100_000)},
        "ui nested 900": {"graph": {"nodes": [{**node("t", "text", text="x"), "ui": "UI"}], "edges": []}},
        "tabs nested 500": {"graph": {"nodes": [], "edges": []}, "tabs": ["TABS"]},
        "param nested 900": {"graph": {"nodes": [node("t", "text", text="TEXT")], "edges": []}},
    }
    splices = {"ui nested 900": ('"UI"', nested(900, "object")), "tabs nested 500": ('"TABS"', nested(500)),
               "param nested 900": ('"TEXT"', nested(900))}
    for name, body in documents.items():
        session = await fresh_session()
        text = json.dumps({**body, "version": session["version"]})
        if name in splices:
            text = text.replace(*splices[name])
        r = await callers.as_(OWNER, "PUT", f"/api/v2/sessions/{session['id']}/flow", content=text.encode(),
                              headers={"Content-Type": "application/json"})
        tally.check(f"{name}: save", r)
        read = await callers.as_(OWNER, "GET", f"/api/v2/sessions/{session['id']}")
        tally.check(f"{name}: read back", read)
        tally.expect(f"{name}: the session stays readable", read.status_code == 200, read)
        listing = await callers.as_(OWNER, "GET", "/api/v2/sessions")
        tally.check(f"{name}: list sessions", listing)
    tally.check("ping afterwards", await client.get("/api/v2/ping"))
    tally.report(figures)


HOSTILE_SCHEMAS: dict[str, dict[str, Any]] = {
    "$ref to a local file": {"$ref": "file:///etc/passwd"},
    "$ref to a loopback server": {"$ref": "http://127.0.0.1:9/schema.json"},
    "$ref to a missing file": {"$ref": "file:///nonexistent/schema.json"},
    "nested remote $ref": {"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}},
    "$dynamicRef out": {"$dynamicRef": "http://127.0.0.1:9/x#meta"},
    "backtracking pattern": {"type": "string", "pattern": "^(a+)+$"},
    "look-behind pattern": {"type": "string", "pattern": "(?<=a)b"},
    "broken pattern": {"type": "string", "pattern": "(unclosed"},
    "not a schema": {"type": 5},
    "schema nested 900": {"NESTED": 1},
}


async def test_hostile_recipe_schemas(hostile: tuple[httpx.AsyncClient, Callers, Any], studio: Studio,
                                      figures: Figures) -> None:
    """A user's published schema and an admin's recipe schema never fetch anything, never read a file and
    never run a backtracking pattern: refused when saved, or harmless when run."""
    client, callers, _ = hostile
    owned = await build_owned(callers, studio)
    tally = Tally()
    for number, (name, schema) in enumerate(HOSTILE_SCHEMAS.items()):
        recipe_id = f"hostile-{number}"
        body = json.dumps({"id": recipe_id, "name": name,
                           "inputs": [{"name": "words", "node_id": "t", "field": "text", "schema": schema}]})
        body = body.replace('{"NESTED": 1}', nested(900, "object"))
        r = await callers.as_(OWNER, "POST", f"/api/v2/sessions/{owned.session_id}/publish-recipe",
                              content=body.encode(), headers={"Content-Type": "application/json"})
        tally.check(f"publish {name}", r)
        if "$ref" in json.dumps(schema) or "$dynamicRef" in json.dumps(schema):
            tally.expect(f"publish {name}: refused", 400 <= r.status_code < 500, r)
        if r.status_code == 201:
            ran = await callers.as_(OWNER, "POST", f"/api/v2/recipes/{recipe_id}/run",
                                    json={"inputs": {"words": "a" * 12 + "!"}})
            tally.check(f"run {name}", ran)
            tally.expect(f"run {name}: no file content", "root:" not in ran.text, ran)
        admin_body = {"id": f"admin-{recipe_id}", "name": name, "input_schema": {
            "type": "object", "properties": {"x": schema}}, "bindings": {}, "graph": {"nodes": [], "edges": []}}
        r = await callers.as_(ADMIN, "POST", "/api/v2/recipes",
                              content=json.dumps(admin_body).replace('{"NESTED": 1}', nested(900, "object"))
                              .encode(), headers={"Content-Type": "application/json"})
        tally.check(f"admin add {name}", r)
        if "$ref" in json.dumps(schema):
            tally.expect(f"admin add {name}: refused", 400 <= r.status_code < 500, r)
        tally.expect(f"admin add {name}: no file content", "root:" not in r.text, r)
    tally.check("ping afterwards", await client.get("/api/v2/ping"))
    tally.report(figures)


def image_bytes(fmt: str, size: tuple[int, int], mode: str = "1") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=fmt)
    return buffer.getvalue()


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<image href="file:///etc/passwd"/></svg>')


async def test_hostile_files_are_refused_at_upload(hostile: tuple[httpx.AsyncClient, Callers, Any],
                                                   figures: Figures) -> None:
    """Image bombs and files no node can read: refused with a stable 4xx, never a 5xx."""
    client, callers, _ = hostile
    files = {
        "svg": ("drawing.svg", SVG, {413, 415, 422}),
        "png 12000x12000": ("bomb.png", image_bytes("PNG", (12000, 12000)), {413}),
        "png 1x100000": ("tall.png", image_bytes("PNG", (1, 100_000)), {413}),
        "gif 9000x8000": ("bomb.gif", image_bytes("GIF", (9000, 8000), "L"), {413}),
        "truncated png": ("cut.png", image_bytes("PNG", (64, 64), "RGB")[:60], {413, 415, 422}),
        "html named png": ("page.png", b"<html><script>alert(1)</script></html>", {415, 422}),
    }
    tally = Tally()
    for name, (filename, content, statuses) in files.items():
        r = await callers.as_(OWNER, "POST", "/api/v2/media/upload", files={"file": (filename, content)})
        tally.check(f"upload {name}", r)
        tally.expect(f"upload {name}: refused with one of {sorted(statuses)}", r.status_code in statuses, r)
    tally.check("ping afterwards", await client.get("/api/v2/ping"))
    tally.report(figures)


async def test_login_with_hostile_bodies(hostile: tuple[httpx.AsyncClient, Callers, Any], figures: Figures) -> None:
    """The one public route with a body."""
    client, _, _ = hostile
    tally = Tally()
    for name, raw in BODY_SHAPES.items():
        for key in ("email", "password"):
            content = splice({"email": "probe@example.com", "password": PASSWORD}, key, raw)
            r = await client.post("/api/v2/auth/login", content=content, headers={"Content-Type": "application/json"})
            client.cookies.clear()
            tally.check(f"login {key}={name}", r)
    tally.check("ping afterwards", await client.get("/api/v2/ping"))
    tally.report(figures)
