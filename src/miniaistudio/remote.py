"""The CLI as a client of a running studio, built on the Python SDK (``miniaistudio.sdk``): run
recipes and sessions over /api/v2 with live progress bars (from the run's event stream), download
what they made, and look at sessions, the gallery, the GPU and the balance. Every command takes
``--json``: one JSON document on stdout, for scripts (progress goes to stderr either way).

Credentials: ``--api-key`` or ``$MINIAI_API_KEY`` (a ``mas_`` key from the profile page);
server: ``--url`` or ``$MINIAI_URL`` (default http://127.0.0.1:8790). Errors are the studio's
stable codes (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .core.errors import StudioError
from .sdk import Client, Run

DEFAULT_URL = "http://127.0.0.1:8790"
FINISHED = {"succeeded", "failed", "canceled", "interrupted"}


def _client(args: argparse.Namespace) -> Client:
    key = args.api_key or os.environ.get("MINIAI_API_KEY")
    if not key:
        raise StudioError("an API key is needed: --api-key or $MINIAI_API_KEY (create one on the profile page)",
                          code="AUTHORIZATION_HEADER_REQUIRED")
    return Client(args.url or os.environ.get("MINIAI_URL") or DEFAULT_URL, api_key=key)


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    json.dump(value, sys.stdout, indent=2)
    sys.stdout.write("\n")


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


def follow(client: Client, session_id: str, run_id: str | None) -> Run:
    """Show node progress bars (on stderr) until the session's run ends; returns the final run.
    Without a terminal, one line per node that ends."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.fields[status]:<10}"),
                        TimeElapsedColumn(), transient=False, disable=not sys.stderr.isatty(),
                        console=Console(stderr=True))
    bars: dict[str, Any] = {}
    said: set[tuple[str, str]] = set()

    def bar(node_id: str) -> Any:
        if node_id not in bars:
            bars[node_id] = progress.add_task(node_id, total=1.0, status="queued")
        return bars[node_id]

    def show(node_id: str, status: str, fraction: float) -> None:
        progress.update(bar(node_id), completed=fraction, status=status)
        if not sys.stderr.isatty() and status in FINISHED | {"cached"} and (node_id, status) not in said:
            said.add((node_id, status))
            print(f"{node_id}: {status}", file=sys.stderr)

    with progress:
        for event in client.events(session_id, run_id=run_id):
            data = event.data
            if event.type == "snapshot":
                run = data.get("run")
                if run and (run_id is None or run["run_id"] == run_id):
                    for nid, state in run["nodes"].items():
                        show(nid, state["status"], state["progress"])
            elif event.type == "node.status":
                show(data["node_id"], data["status"], data.get("progress") or 0.0)
            elif event.type == "node.progress":
                progress.update(bar(data["node_id"]), completed=data.get("progress") or 0.0)
            elif event.type == "nodes.canceled":  # a stop cancels every queued node in one event
                for nid in data.get("node_ids") or []:
                    show(nid, "canceled", 0.0)
    final = client.get_session_execution(session_id)
    if final is None:
        raise StudioError(f"session {session_id} has no run", code="RUN_NOT_FOUND")
    for nid, state in final.nodes.items():  # what the stream ended before saying
        show(nid, state.status, state.progress)
    return final


def _report(client: Client, run: Run, download: Path | None, as_json: bool) -> int:
    saved: dict[str, str] = {}
    lines = [f"run {run.run_id}: {run.status}"]
    for nid, state in run.nodes.items():
        if state.error is not None:
            lines.append(f"  {nid}: {state.status} [{state.error.code}] {state.error.message}")
        for name, value in (state.outputs or {}).items():
            if isinstance(value, dict) and "media_id" in value:
                line = f"  {nid}.{name}: {value['kind']} {value['url']}"
                if download is not None:
                    download.mkdir(parents=True, exist_ok=True)
                    record = client.get_media(value["media_id"])
                    dest = download / f"{nid.replace(':', '_')}-{name}-{record.filename}"
                    client.download(value["media_id"], dest)
                    saved[f"{nid}.{name}"] = str(dest)
                    line += f" -> {dest}"
                lines.append(line)
            elif isinstance(value, str):
                lines.append(f"  {nid}.{name}: {value[:200]!r}")
    if as_json:
        _print_json({"run": run.model_dump(mode="json"), "downloaded": saved})
    else:
        print("\n".join(lines))
    return 0 if run.status == "succeeded" else 1


# -- recipes -------------------------------------------------------------------------------------
def cmd_recipes_list(args: argparse.Namespace) -> int:
    recipes = _client(args).list_recipes()
    if args.json:
        _print_json(recipes)
        return 0
    for recipe in recipes:
        required = recipe.input_schema.get("required", [])
        print(f"{recipe.id:<28} {recipe.name}  (inputs: {', '.join(recipe.inputs)}; "
              f"required: {', '.join(required) or 'none'})")
    return 0


def cmd_recipes_run(args: argparse.Namespace) -> int:
    with _client(args) as client:
        session_id = client.run_recipe(args.recipe_id, _inputs(args.input), execute=not args.no_run,
                                       session_name=args.name).session_id
        if not args.json:
            print(f"session {session_id}")
        if args.no_run:
            if args.json:
                _print_json({"session_id": session_id})
            return 0
        return _report(client, follow(client, session_id, None), args.download, args.json)


# -- sessions ------------------------------------------------------------------------------------
def cmd_sessions_run(args: argparse.Namespace) -> int:
    with _client(args) as client:
        run = (client.execute_from_node(args.session_id, args.from_node) if args.from_node
               else client.execute_full(args.session_id))
        return _report(client, follow(client, args.session_id, run.run_id), args.download, args.json)


def cmd_sessions_list(args: argparse.Namespace) -> int:
    found = _client(args).list_sessions(args.query, limit=args.limit, offset=args.offset)
    if args.json:
        _print_json(found)
        return 0
    for s in found.items:
        print(f"{s.id}  {s.updated_at:%Y-%m-%d %H:%M}  {s.role:<7} {s.node_count:>3} nodes  {s.name}")
    print(f"{len(found.items)} of {found.total}")
    return 0


def cmd_sessions_get(args: argparse.Namespace) -> int:
    with _client(args) as client:
        session = client.get_session(args.session_id)
        run = client.get_session_execution(args.session_id)
    if args.json:
        _print_json({"session": session.model_dump(mode="json"),
                     "run": run.model_dump(mode="json") if run is not None else None})
        return 0
    print(f"{session.id}  {session.name}  (version {session.version}, {session.node_count} nodes, {session.role})")
    print(f"last run: {run.run_id} {run.status}" if run is not None else "never run")
    return 0


# -- media ---------------------------------------------------------------------------------------
def cmd_media_list(args: argparse.Namespace) -> int:
    page = _client(args).list_media(args.type, page=args.page, page_size=args.page_size)
    if args.json:
        _print_json(page)
        return 0
    for group in page.groups:
        print(f"{group.session_name or '(no session)'}  {group.session_id or ''}")
        for m in group.items:
            print(f"  {m.id}  {m.media_type:<6} {m.size_bytes:>10} B  {m.filename}")
    print(f"page {page.page}, {page.total} in all")
    return 0


def cmd_media_download(args: argparse.Namespace) -> int:
    with _client(args) as client:
        record = client.get_media(args.media_id)
        dest: Path = args.output or Path(record.filename)
        if dest.is_dir():
            dest = dest / record.filename
        client.download(record.id, dest, progress=_progress_bar(record.filename) if not args.json else None)
    if args.json:
        _print_json({"media_id": record.id, "path": str(dest), "size_bytes": record.size_bytes})
    else:
        print(dest)
    return 0


def _progress_bar(label: str) -> Callable[[int, int | None], None] | None:
    """A byte progress line on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None) -> None:
        share = f" {100 * done // total:>3}%" if total else ""
        print(f"\r{label}: {done} B{share}", end="" if total is None or done < total else "\n", file=sys.stderr)

    return show


# -- GPU and billing -----------------------------------------------------------------------------
def _gpu_answer(value: BaseModel, as_json: bool) -> int:
    if as_json:
        _print_json(value)
    else:
        data = value.model_dump(mode="json")
        print(f"{data['state']}  ready={data['ready']}  device={data.get('device_name') or data.get('device') or '-'}"
              f"  running_tasks={data['running_tasks']}")
    return 0


def cmd_gpu_status(args: argparse.Namespace) -> int:
    return _gpu_answer(_client(args).get_gpu_status(), args.json)


def cmd_gpu_start(args: argparse.Namespace) -> int:
    return _gpu_answer(_client(args).start_gpu(), args.json)


def cmd_gpu_stop(args: argparse.Namespace) -> int:
    return _gpu_answer(_client(args).stop_gpu(args.mode), args.json)


def cmd_billing_balance(args: argparse.Namespace) -> int:
    balance = _client(args).get_balance()
    if args.json:
        _print_json(balance)
    elif balance.billing == "off":
        print("billing is off on this studio")
    else:
        print(f"available {balance.available}  reserved {balance.reserved}  total {balance.total}")
    return 0


def add_commands(sub: Any) -> None:
    def command(group: Any, name: str, help: str, func: Callable[[argparse.Namespace], int]) -> Any:
        p = group.add_parser(name, help=help)
        p.add_argument("--url", default=None, help=f"the studio (default $MINIAI_URL or {DEFAULT_URL})")
        p.add_argument("--api-key", default=None, help="a mas_ API key (default $MINIAI_API_KEY)")
        p.add_argument("--json", action="store_true", help="print one JSON document (for scripts)")
        p.set_defaults(func=func)
        return p

    def group(name: str, help: str) -> Any:
        return sub.add_parser(name, help=help).add_subparsers(dest=f"{name}_command", required=True)

    recipes = group("recipes", "list and run recipes on a running studio")
    command(recipes, "list", "recipes and their inputs", cmd_recipes_list)
    rrun = command(recipes, "run", "create a session from a recipe and run it with progress bars", cmd_recipes_run)
    rrun.add_argument("recipe_id")
    rrun.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                      help="a recipe input (repeat); JSON values are parsed, e.g. seed=7")
    rrun.add_argument("--name", default=None, help="the session's name")
    rrun.add_argument("--no-run", action="store_true", help="only prepare the session (execute=false)")
    rrun.add_argument("--download", type=Path, default=None, help="save the outputs into this folder")

    sessions = group("sessions", "list, show and run sessions on a running studio")
    srun = command(sessions, "run", "run a session (or from one node on) with progress bars", cmd_sessions_run)
    srun.add_argument("session_id")
    srun.add_argument("--from-node", default=None, help="run this node and what depends on it")
    srun.add_argument("--download", type=Path, default=None, help="save the outputs into this folder")
    slist = command(sessions, "list", "your sessions, newest first", cmd_sessions_list)
    slist.add_argument("query", nargs="?", default=None, help="only sessions whose name contains this")
    slist.add_argument("--limit", type=int, default=50)
    slist.add_argument("--offset", type=int, default=0)
    sget = command(sessions, "get", "a session and its last run", cmd_sessions_get)
    sget.add_argument("session_id")

    media = group("media", "your gallery on a running studio")
    mlist = command(media, "list", "your media grouped by session, newest first", cmd_media_list)
    mlist.add_argument("--type", default=None, choices=("image", "video", "audio"),
                       help="only this kind")
    mlist.add_argument("--page", type=int, default=1)
    mlist.add_argument("--page-size", type=int, default=50)
    mget = command(media, "download", "save one media file", cmd_media_download)
    mget.add_argument("media_id")
    mget.add_argument("--output", "-o", type=Path, default=None, help="a file or a folder (default: its name here)")

    gpu = group("gpu", "the GPU worker of a running studio")
    command(gpu, "status", "the GPU's state", cmd_gpu_status)
    command(gpu, "start", "load the GPU worker", cmd_gpu_start)
    gstop = command(gpu, "stop", "unload the GPU worker", cmd_gpu_stop)
    gstop.add_argument("--mode", default="graceful", choices=("graceful", "immediate"))

    billing = group("billing", "credits on a running studio")
    command(billing, "balance", "your credit balance", cmd_billing_balance)
