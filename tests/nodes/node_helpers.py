"""Shared steps for node tests: run a graph over HTTP, read outputs back, probe them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import Api, ffprobe


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None,
                    session: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save the graph in a (new) session, run it to the end and return the run."""
    session = session or await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges or []})
    return await api.run(session["id"])


async def upload(api: Api, path: Path, session_id: str | None = None) -> str:
    item = await api.upload(session_id, path)
    return str(item["id"])


def streams(path: Path, kind: str) -> list[dict[str, Any]]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == kind]


def duration(path: Path) -> float:
    return float(ffprobe(path)["format"]["duration"])


def node_with(node_id: str, node_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """Like conftest.node, for parameters named ``x`` (conftest.node takes ``x`` as the canvas position)."""
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "params": params}
