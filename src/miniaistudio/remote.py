"""The CLI as a client of a running studio: run recipes and sessions over /api/v2 with live
progress bars (from the server's event stream) and download what they made.

Credentials: ``--api-key`` or ``$MINIAI_API_KEY`` (a ``mas_`` key from the profile page);
server: ``--url`` or ``$MINIAI_URL`` (default http://127.0.0.1:8790).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .core.errors import StudioError

DEFAULT_URL = "http://127.0.0.1:8790"
FINISHED = {"succeeded", "failed", "canceled", "interrupted"}


class RemoteError(StudioError):
    """An error answered by the server, with its stable code."""


class Remote:
    def __init__(self, url: str, api_key: str) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=httpx.Timeout(60, read=None),
                                   headers={"Authorization": f"Bearer {api_key}"})

    def call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self.client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach the studio at {self.client.base_url}: {exc}",
                              code="STUDIO_UNREACHABLE") from exc
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = {}
            raise RemoteError(body.get("message", r.text[:200]), code=body.get("code", f"HTTP_{r.status_code}"),
                              details=body.get("details"))
        return r.json() if r.content else None

    def events(self, session_id: str) -> Iterator[dict[str, Any]]:
        """Server-Sent Events of the session, parsed."""
        with self.client.stream("GET", "/api/v2/session/events", params={"session_id": session_id}) as r:
            if r.status_code >= 400:
                r.read()
                body = r.json()
                raise RemoteError(body.get("message", ""), code=body.get("code", f"HTTP_{r.status_code}"))
            data: list[str] = []
            for line in r.iter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    yield json.loads("\n".join(data))
                    data = []


def _inputs(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON when they parse as JSON (numbers, booleans, lists)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise StudioError(f"inputs are key=value, not {pair!r}", code="INVALID_INPUTS")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def follow(remote: Remote, session_id: str, run_id: str | None) -> dict[str, Any]:
    """Show node progress bars until the session's run ends; returns the final run."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.fields[status]:<10}"),
                        TimeElapsedColumn(), transient=False, disable=not sys.stderr.isatty(),
                        console=None)
    bars: dict[str, Any] = {}

    def bar(node_id: str) -> Any:
        if node_id not in bars:
            bars[node_id] = progress.add_task(node_id, total=1.0, status="queued")
        return bars[node_id]

    def show(node_id: str, status: str, fraction: float) -> None:
        progress.update(bar(node_id), completed=fraction, status=status)
        if not sys.stderr.isatty() and status in FINISHED | {"cached"}:
            print(f"{node_id}: {status}", file=sys.stderr)

    with progress:
        for event in remote.events(session_id):
            kind = event.get("type")
            if kind == "snapshot":
                run = event.get("run")
                if run and (run_id is None or run["run_id"] == run_id):
                    for nid, state in run["nodes"].items():
                        show(nid, state["status"], state["progress"])
                    if run["status"] in FINISHED:
                        return dict(run)
            elif kind == "node.status":
                show(event["node_id"], event["status"], event.get("progress") or 0.0)
            elif kind == "node.progress":
                progress.update(bar(event["node_id"]), completed=event.get("progress") or 0.0)
            elif kind == "nodes.canceled":  # a stop cancels every queued node in one event
                for nid in event.get("node_ids") or []:
                    show(nid, "canceled", 0.0)
            elif kind == "run.finished" and (run_id is None or event["run_id"] == run_id):
                break
    final: dict[str, Any] = remote.call("GET", "/api/v2/session/execution",
                                        headers={"X-Session-ID": session_id})["run"]
    return final


def _report(remote: Remote, run: dict[str, Any], download: Path | None) -> int:
    print(f"run {run['run_id']}: {run['status']}")
    for nid, state in run["nodes"].items():
        if state.get("error"):
            print(f"  {nid}: {state['status']} [{state['error']['code']}] {state['error']['message']}")
        for name, value in (state.get("outputs") or {}).items():
            if isinstance(value, dict) and "media_id" in value:
                line = f"  {nid}.{name}: {value['kind']} {value['url']}"
                if download is not None:
                    download.mkdir(parents=True, exist_ok=True)
                    record = remote.call("GET", f"/api/v2/media/{value['media_id']}")
                    dest = download / f"{nid.replace(':', '_')}-{name}-{record['filename']}"
                    url = f"/api/v2/media/{value['media_id']}/download"
                    with remote.client.stream("GET", url) as r, dest.open("wb") as fh:
                        for chunk in r.iter_bytes():
                            fh.write(chunk)
                    line += f" -> {dest}"
                print(line)
            elif isinstance(value, str):
                print(f"  {nid}.{name}: {value[:200]!r}")
    return 0 if run["status"] == "succeeded" else 1


def _remote(args: argparse.Namespace) -> Remote:
    key = args.api_key or os.environ.get("MINIAI_API_KEY")
    if not key:
        raise StudioError("an API key is needed: --api-key or $MINIAI_API_KEY (create one on the profile page)",
                          code="AUTHORIZATION_HEADER_REQUIRED")
    return Remote(args.url or os.environ.get("MINIAI_URL") or DEFAULT_URL, key)


def cmd_recipes_list(args: argparse.Namespace) -> int:
    for recipe in _remote(args).call("GET", "/api/v2/recipes")["recipes"]:
        required = recipe["input_schema"].get("required", [])
        print(f"{recipe['id']:<28} {recipe['name']}  (inputs: {', '.join(recipe['inputs'])}; "
              f"required: {', '.join(required) or 'none'})")
    return 0


def cmd_recipes_run(args: argparse.Namespace) -> int:
    remote = _remote(args)
    body = {"execute": not args.no_run, "inputs": _inputs(args.input)}
    if args.name:
        body["session_name"] = args.name
    session_id = remote.call("POST", f"/api/v2/recipes/{args.recipe_id}/run", json=body)["session_id"]
    print(f"session {session_id}")
    if args.no_run:
        return 0
    return _report(remote, follow(remote, session_id, None), args.download)


def cmd_sessions_run(args: argparse.Namespace) -> int:
    remote = _remote(args)
    body: dict[str, Any] = {"mode": "from_node", "target_node_id": args.from_node} if args.from_node else {
        "mode": "full"}
    run = remote.call("POST", "/api/v2/session/execute", json=body, headers={"X-Session-ID": args.session_id})
    return _report(remote, follow(remote, args.session_id, run["run_id"]), args.download)


def add_commands(sub: Any) -> None:
    def connection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--url", default=None, help=f"the studio (default $MINIAI_URL or {DEFAULT_URL})")
        p.add_argument("--api-key", default=None, help="a mas_ API key (default $MINIAI_API_KEY)")

    recipes = sub.add_parser("recipes", help="list and run recipes on a running studio").add_subparsers(
        dest="recipes_command", required=True)
    rlist = recipes.add_parser("list", help="recipes and their inputs")
    connection(rlist)
    rlist.set_defaults(func=cmd_recipes_list)
    rrun = recipes.add_parser("run", help="create a session from a recipe and run it with progress bars")
    rrun.add_argument("recipe_id")
    rrun.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                      help="a recipe input (repeat); JSON values are parsed, e.g. seed=7")
    rrun.add_argument("--name", default=None, help="the session's name")
    rrun.add_argument("--no-run", action="store_true", help="only prepare the session (execute=false)")
    rrun.add_argument("--download", type=Path, default=None, help="save the outputs into this folder")
    connection(rrun)
    rrun.set_defaults(func=cmd_recipes_run)

    sessions = sub.add_parser("sessions", help="run saved sessions on a running studio").add_subparsers(
        dest="sessions_command", required=True)
    srun = sessions.add_parser("run", help="run a session (or from one node on) with progress bars")
    srun.add_argument("session_id")
    srun.add_argument("--from-node", default=None, help="run this node and what depends on it")
    srun.add_argument("--download", type=Path, default=None, help="save the outputs into this folder")
    connection(srun)
    srun.set_defaults(func=cmd_sessions_run)
