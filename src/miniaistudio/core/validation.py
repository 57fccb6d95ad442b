"""Checks a graph before it is saved or run; each problem names its node and socket."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .errors import GraphInvalid
from .graph import GROUP_TYPE, Graph, GraphEdge, GraphNode
from .registry import NodeRegistry, NodeSpec, param_errors
from .sockets import link_problem


@dataclass
class Problem:
    code: str
    message: str
    node_id: str | None = None
    socket: str | None = None
    edge_id: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class CheckedGraph:
    """A structurally valid graph with its lookups precomputed for the engine."""

    graph: Graph
    nodes: dict[str, GraphNode]
    specs: dict[str, NodeSpec]
    incoming: dict[str, dict[str, GraphEdge]]  # target node -> input name -> edge
    outgoing: dict[str, list[GraphEdge]]
    order: list[str]  # topological order of all nodes
    _type_counts: Counter[str] | None = field(default=None, init=False, repr=False)

    def nodes_of_type(self, node_type: str) -> int:
        if self._type_counts is None:
            self._type_counts = Counter(n.type for n in self.nodes.values())
        return self._type_counts[node_type]


def check_structure(graph: Graph, registry: NodeRegistry) -> CheckedGraph:
    """Node types, ids, links and cycles. Run on every save."""
    problems: list[Problem] = []
    nodes: dict[str, GraphNode] = {}
    specs: dict[str, NodeSpec] = {}
    for n in graph.nodes:
        if n.id in nodes:
            problems.append(Problem("DUPLICATE_NODE_ID", f"node id {n.id!r} is used twice", n.id))
            continue
        nodes[n.id] = n
        spec = registry.get(n.type)
        if spec is None:
            problems.append(Problem("UNKNOWN_NODE_TYPE", f"node {n.id!r} has unknown type {n.type!r}", n.id))
        else:
            specs[n.id] = spec
    problems.extend(parent_problems(nodes))

    incoming: dict[str, dict[str, GraphEdge]] = defaultdict(dict)
    outgoing: dict[str, list[GraphEdge]] = defaultdict(list)
    edge_ids: set[str] = set()
    for e in graph.edges:
        if e.id in edge_ids:
            problems.append(Problem("DUPLICATE_EDGE_ID", f"edge id {e.id!r} is used twice", edge_id=e.id))
            continue
        edge_ids.add(e.id)
        src, dst = specs.get(e.source), specs.get(e.target)
        if e.source not in nodes or e.target not in nodes:
            missing = e.source if e.source not in nodes else e.target
            problems.append(Problem("UNKNOWN_NODE", f"edge {e.id!r} links missing node {missing!r}", edge_id=e.id))
            continue
        if src is None or dst is None:
            continue  # already reported as unknown type
        out_sock = src.outputs.get(e.source_handle)
        in_sock = dst.inputs.get(e.target_handle)
        if out_sock is None:
            problems.append(
                Problem("UNKNOWN_SOCKET", f"{src.title} ({e.source!r}) has no output {e.source_handle!r}",
                        e.source, e.source_handle, e.id)
            )
            continue
        if in_sock is None:
            problems.append(
                Problem("UNKNOWN_SOCKET", f"{dst.title} ({e.target!r}) has no input {e.target_handle!r}",
                        e.target, e.target_handle, e.id)
            )
            continue
        why = link_problem(out_sock.type, in_sock.type)
        if why is not None:
            problems.append(
                Problem("INCOMPATIBLE_SOCKETS",
                        f"cannot link {src.title}.{e.source_handle} to {dst.title}.{e.target_handle}: {why}",
                        e.target, e.target_handle, e.id)
            )
            continue
        if e.target_handle in incoming[e.target]:
            problems.append(
                Problem("INPUT_ALREADY_LINKED",
                        f"input {e.target_handle!r} of node {e.target!r} already has a link",
                        e.target, e.target_handle, e.id)
            )
            continue
        incoming[e.target][e.target_handle] = e
        outgoing[e.source].append(e)

    order, cyclic = _topological(nodes, incoming, outgoing)
    for node_id in cyclic:
        problems.append(Problem("GRAPH_CYCLE", f"node {node_id!r} is part of a cycle", node_id))
    if problems:
        raise graph_invalid(problems)
    return CheckedGraph(graph, nodes, specs, dict(incoming), dict(outgoing), order)


def parent_problems(nodes: dict[str, GraphNode]) -> list[Problem]:
    """Each ``parent_id`` must name a group on the canvas, and no chain of parents may loop.

    Linear in the number of nodes: every parent chain is walked once, remembering where
    walks ended, so a hostile chain cannot make this (or any later walk) spin.
    """
    problems: list[Problem] = []
    for n in nodes.values():
        if n.parent_id is None:
            continue
        parent = nodes.get(n.parent_id)
        if parent is None:
            problems.append(Problem("UNKNOWN_PARENT", f"node {n.id!r} names missing group {n.parent_id!r}", n.id))
        elif parent.type != GROUP_TYPE:
            problems.append(Problem("PARENT_NOT_GROUP",
                                    f"node {n.id!r} names {n.parent_id!r} as its group, but it is a {parent.type!r}",
                                    n.id))
    settled: set[str] = set()  # nodes whose parent chain is known to end
    for start in nodes:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in settled:
            if current in on_path:
                cycle = path[path.index(current):]
                problems.extend(
                    Problem("GROUP_PARENT_CYCLE", f"group {nid!r} is inside itself (parent cycle {' -> '.join(cycle)})",
                            nid)
                    for nid in cycle
                )
                break
            path.append(current)
            on_path.add(current)
            node = nodes.get(current)
            current = node.parent_id if node is not None else None
        settled.update(path)
    return problems


def node_label(checked: CheckedGraph, node_id: str) -> str:
    """How people know a node: the title they gave it, else its type's title ("Text Overlay (Image)");
    the type's title is followed by the id when the graph has several nodes of that type."""
    node, spec = checked.nodes[node_id], checked.specs[node_id]
    if node.title and node.title.strip():
        return f"“{node.title.strip()}”"
    return spec.title if checked.nodes_of_type(node.type) == 1 else f"{spec.title} ({node_id})"


def missing_inputs(checked: CheckedGraph, node_id: str) -> list[Problem]:
    """The node's required inputs that no link feeds."""
    spec = checked.specs[node_id]
    linked = checked.incoming.get(node_id, {})
    return [Problem("MISSING_INPUT",
                    f"{node_label(checked, node_id)} needs its {sock.type} input {sock.label or name!r} connected",
                    node_id, name)
            for name, sock in spec.inputs.items() if sock.required and name not in linked]


def check_runnable(checked: CheckedGraph, node_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Parameters and required inputs of the nodes about to run; returns validated params."""
    problems: list[Problem] = []
    params: dict[str, dict[str, Any]] = {}
    for node_id in node_ids:
        spec = checked.specs[node_id]
        node = checked.nodes[node_id]
        try:
            params[node_id] = spec.validate_params(node.params)
        except ValidationError as exc:
            for err in param_errors(exc):
                problems.append(
                    Problem("INVALID_PARAMETER",
                            f"{node_label(checked, node_id)}: parameter {err['field']!r}: {err['message']}",
                            node_id, field=err["field"])
                )
        problems += missing_inputs(checked, node_id)
    if problems:
        raise graph_invalid(problems)
    return params


def graph_invalid(problems: list[Problem]) -> GraphInvalid:
    first = problems[0].message
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return GraphInvalid(f"{first}{more}", details={"errors": [p.to_dict() for p in problems]})


def _topological(
    nodes: dict[str, GraphNode],
    incoming: dict[str, dict[str, GraphEdge]],
    outgoing: dict[str, list[GraphEdge]],
) -> tuple[list[str], list[str]]:
    indegree = {nid: len(incoming.get(nid, {})) for nid in nodes}
    ready = [nid for nid in nodes if indegree[nid] == 0]
    order: list[str] = []
    while ready:
        nid = ready.pop()
        order.append(nid)
        for e in outgoing.get(nid, ()):
            indegree[e.target] -= 1
            if indegree[e.target] == 0:
                ready.append(e.target)
    cyclic = [nid for nid, deg in indegree.items() if deg > 0]
    return order, cyclic
