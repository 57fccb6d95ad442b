"""The palette and Inspector speak to users: no source files, code spans or HTTP routes in any node's help."""

from __future__ import annotations

import re
from typing import Any

from conftest import Api

DEVELOPER_TEXT = re.compile(r"\.py\b|``|\b(GET|POST|PUT|PATCH|DELETE) /|/api/|\b(core|runtimes|nodes|services)/")


def _descriptions(value: Any, where: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "description" and isinstance(item, str):
                found.append((where, item))
            else:
                found += _descriptions(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _descriptions(item, f"{where}[{i}]")
    return found


async def test_every_node_help_text_speaks_to_users(api: Api) -> None:
    r = await api.get("/api/v2/nodes")
    assert r.status_code == 200, r.text
    nodes = r.json()["nodes"]
    assert len(nodes) > 20
    offending = [(node["type"], where, text[:120]) for node in nodes
                 for where, text in [("description", node["description"]), *_descriptions(node, "")]
                 if DEVELOPER_TEXT.search(text)]
    assert offending == []
    long = [(node["type"], len(node["description"])) for node in nodes if len(node["description"]) > 400]
    assert long == [], "a node's summary is one paragraph"
