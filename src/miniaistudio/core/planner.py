"""Deciding what a run executes: targets by mode, signatures, and cache hits.

Only nodes whose outputs are needed are touched: a cached node's ancestors are not even
looked at, and forced nodes (the target of a rerun) execute even when cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .errors import NodeNotFound
from .run import RunMode
from .signature import node_signature
from .sockets import SocketType
from .validation import CheckedGraph, check_runnable, missing_inputs, node_label


@dataclass
class Plan:
    closure: list[str]  # the nodes this run touches, in topological order
    closure_all: list[str]  # every node the mode considers (before cache hits cut the walk)
    wanted: set[str]  # nodes whose outputs the user asked for
    forced: set[str]  # nodes that execute even when cached
    execute: list[str]  # nodes that will run, topological order
    cached: dict[str, dict[str, Any]]  # node id -> cached encoded outputs
    signatures: dict[str, str]
    params: dict[str, dict[str, Any]]
    salted: bool  # some signature includes the run id (a node that is never cached)


def select_targets(checked: CheckedGraph, mode: RunMode, target: str | None) -> tuple[set[str], set[str]]:
    """(wanted, forced) node ids for a run mode."""
    executable = {nid for nid, spec in checked.specs.items() if spec.executable}
    if mode == RunMode.FULL:
        return executable, set()
    if target is None or target not in checked.nodes:
        raise NodeNotFound(f"node {target!r} is not in the session's graph")
    if target not in executable:
        raise NodeNotFound(f"node {target!r} ({checked.nodes[target].type}) does not execute")
    if mode == RunMode.NODE:
        return {target}, {target}
    wanted = {target}
    stack = [target]
    while stack:
        for edge in checked.outgoing.get(stack.pop(), ()):
            if edge.target not in wanted:
                wanted.add(edge.target)
                stack.append(edge.target)
    return wanted, set(wanted)


def ancestors_closure(checked: CheckedGraph, wanted: set[str]) -> list[str]:
    seen = set(wanted)
    stack = list(wanted)
    while stack:
        for edge in checked.incoming.get(stack.pop(), {}).values():
            if edge.source not in seen:
                seen.add(edge.source)
                stack.append(edge.source)
    return [nid for nid in checked.order if nid in seen]


def _signature(checked: CheckedGraph, nid: str, params: dict[str, Any], sigs: dict[str, str],
               salt: str) -> str | None:
    """The node's signature, or None while an upstream node has none."""
    spec = checked.specs[nid]
    inputs = []
    for name, edge in checked.incoming.get(nid, {}).items():
        # GPU trigger links only order work after the GPU Control node; they carry no data,
        # so they stay out of the signature and a cached generation stays cached.
        if spec.inputs[name].type == SocketType.GPU:
            continue
        upstream = sigs.get(edge.source)
        if upstream is None:
            return None
        inputs.append((name, upstream, edge.source_handle))
    return node_signature(spec.type, spec.version, params, inputs, salt)


def compute_signatures(
    checked: CheckedGraph, closure: list[str], params: dict[str, dict[str, Any]], run_id: str
) -> dict[str, str]:
    sigs: dict[str, str] = {}
    for nid in closure:
        salt = "" if checked.specs[nid].node_cls.cacheable(params[nid]) else run_id
        sig = _signature(checked, nid, params[nid], sigs, salt)
        assert sig is not None, "the closure holds every ancestor"
        sigs[nid] = sig
    return sigs


def current_signatures(checked: CheckedGraph) -> tuple[dict[str, str], set[str]]:
    """Signatures of the saved graph as it stands, for showing which stored outputs still match it,
    and the nodes that cannot be judged because they or an upstream node are never cached
    (random seeds, random picks): their latest run's outputs are the best answer for those.

    Tolerant of a graph being edited: nodes whose parameters do not validate or that miss a
    required input are skipped, and so are their descendants.
    """
    sigs: dict[str, str] = {}
    volatile: set[str] = set()
    for nid in checked.order:
        spec = checked.specs.get(nid)
        if spec is None or not spec.executable:
            continue
        try:
            params = spec.validate_params(checked.nodes[nid].params)
        except ValidationError:
            continue
        linked = checked.incoming.get(nid, {})
        if any(sock.required and name not in linked for name, sock in spec.inputs.items()):
            continue
        upstream = [e.source for name, e in linked.items() if spec.inputs[name].type != SocketType.GPU]
        if not spec.node_cls.cacheable(params) or any(src in volatile for src in upstream):
            volatile.add(nid)
            continue
        sig = _signature(checked, nid, params, sigs, "")
        if sig is not None:
            sigs[nid] = sig
    return sigs, volatile


def incomplete_nodes(checked: CheckedGraph, closure: list[str]) -> dict[str, dict[str, Any]]:
    """Nodes of ``closure`` that miss a required input, and every node downstream of one, each with
    why it cannot run (``{code, message}``): what a run that skips incomplete nodes leaves out."""
    skipped: dict[str, dict[str, Any]] = {}
    for nid in closure:
        problems = missing_inputs(checked, nid)
        if problems:
            skipped[nid] = {"code": "MISSING_INPUT", "message": problems[0].message}
    stack = list(skipped)
    while stack:
        source = stack.pop()
        for edge in checked.outgoing.get(source, ()):
            if edge.target not in skipped:
                skipped[edge.target] = {
                    "code": "UPSTREAM_INCOMPLETE",
                    "message": f"{node_label(checked, edge.target)} waits for {node_label(checked, source)}, "
                               "which cannot run",
                }
                stack.append(edge.target)
    return skipped


def plan_run(
    checked: CheckedGraph,
    mode: RunMode,
    target: str | None,
    run_id: str,
    targets: tuple[set[str], set[str]] | None = None,
    *,
    skip_incomplete: bool = False,
) -> tuple[list[str], set[str], set[str], dict[str, dict[str, Any]], dict[str, str], dict[str, dict[str, Any]]]:
    """Closure, wanted, forced, validated params, signatures (cache applied later) and skipped nodes.

    ``targets`` overrides (wanted, forced) when the caller already knows them (loops). With
    ``skip_incomplete``, nodes missing a required input and their descendants are left out (and
    returned with the reason) instead of refusing the run, as ComfyUI runs only what can reach an
    output; a run left with nothing to do is still refused.
    """
    wanted, forced = targets if targets is not None else select_targets(checked, mode, target)
    closure = ancestors_closure(checked, wanted)
    skipped: dict[str, dict[str, Any]] = {}
    if skip_incomplete:
        touched = set(closure)
        skipped = {nid: why for nid, why in incomplete_nodes(checked, closure).items() if nid in touched}
        runnable = wanted - skipped.keys()
        if skipped and runnable:  # with nothing left to run, the refusal below names what is missing
            wanted, forced = runnable, forced - skipped.keys()
            closure = ancestors_closure(checked, wanted)
        elif skipped:
            skipped = {}
    params = check_runnable(checked, closure)
    sigs = compute_signatures(checked, closure, params, run_id)
    return closure, wanted, forced, params, sigs, skipped


def decide_execution(
    checked: CheckedGraph,
    closure: list[str],
    wanted: set[str],
    forced: set[str],
    sigs: dict[str, str],
    hits: dict[str, dict[str, Any]],
    params: dict[str, dict[str, Any]],
) -> Plan:
    """Walk the closure bottom-up: a node is needed if wanted or an executing child reads it."""
    needed: set[str] = set()
    executes: set[str] = set()
    cached: dict[str, dict[str, Any]] = {}
    for nid in reversed(closure):
        is_needed = nid in wanted or any(e.target in executes for e in checked.outgoing.get(nid, ()))
        if not is_needed:
            continue
        needed.add(nid)
        hit = None if nid in forced else hits.get(sigs[nid])
        if hit is None:
            executes.add(nid)
        else:
            cached[nid] = hit
    return Plan(
        closure=[nid for nid in closure if nid in needed],
        closure_all=closure,
        wanted=wanted,
        forced=forced,
        execute=[nid for nid in closure if nid in executes],
        cached=cached,
        signatures=sigs,
        params=params,
        salted=any(not checked.specs[nid].node_cls.cacheable(params[nid]) for nid in closure),
    )
