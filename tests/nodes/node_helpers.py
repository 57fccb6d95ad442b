"""Shared steps for node tests: run a graph over HTTP, read outputs back, probe them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import Api


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None,
                    session: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save the graph in a (new) session, run it to the end and return the run."""
    session = session or await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges or []})
    return await api.run(session["id"])


async def upload(api: Api, path: Path, session_id: str | None = None) -> str:
    item = await api.upload(session_id, path)
    return str(item["id"])


def output(run: dict[str, Any], node_id: str, socket: str) -> dict[str, Any]:
    state = run["nodes"][node_id]
    assert state["status"] == "succeeded", state
    value: dict[str, Any] = state["outputs"][socket]
    return value


def error_code(run: dict[str, Any], node_id: str) -> str:
    state = run["nodes"][node_id]
    assert state["status"] == "failed", state
    return str(state["error"]["code"])


async def media_record(api: Api, media_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v2/media/{media_id}")
    assert r.status_code == 200, r.text
    record: dict[str, Any] = r.json()
    return record


async def download(api: Api, media_id: str, dest_dir: Path) -> Path:
    record = await media_record(api, media_id)
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    dest = dest_dir / f"{media_id}.{record['filename'].rsplit('.', 1)[-1]}"
    dest.write_bytes(r.content)
    return dest


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                           "-show_streams", str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


def streams(path: Path, kind: str) -> list[dict[str, Any]]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == kind]


def duration(path: Path) -> float:
    return float(ffprobe(path)["format"]["duration"])


def node_with(node_id: str, node_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """Like conftest.node, for parameters named ``x`` (conftest.node takes ``x`` as the canvas position)."""
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "params": params}
