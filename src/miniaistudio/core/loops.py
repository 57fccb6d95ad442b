"""Loops: a Loop node repeats the members of a group once per enabled iteration.

Expansion happens before planning, on a copy of the graph: each member ``m`` of the target
group gets a copy ``m::<iteration id>`` whose parameters are the member's own with that
iteration's overrides for ``m`` applied (overrides are per node, so one node's seed or
prompt never leaks into another). Links between members are copied inside each iteration;
links from outside the group feed every copy; links from members to nodes outside the
group keep reading the original members. Because copies are ordinary nodes, the output
cache works per iteration: adding an iteration runs only that iteration.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .errors import GraphTooLarge, InvalidRequest
from .graph import COMMENT_TYPE, GROUP_TYPE, LOOP_TYPE, Graph, GraphEdge, GraphNode
from .registry import NodeRegistry, param_errors
from .validation import Problem, graph_invalid

__all__ = ["COPY_SEPARATOR", "GROUP_TYPE", "LOOP_TYPE", "LoopIterationPlan", "LoopPlan", "check_expansion",
           "copy_id", "expand_loops", "expanded_size", "group_members", "loop_node_ids", "loop_summary"]

COPY_SEPARATOR = "::"
#: Expanded edges allowed per allowed node (a node has a handful of inputs; this leaves room).
EDGES_PER_NODE = 4


@dataclass
class LoopIterationPlan:
    iteration_id: str
    label: str
    copies: dict[str, str]  # member node id -> copy id


@dataclass
class LoopPlan:
    loop_id: str
    group_id: str
    iterations: list[LoopIterationPlan] = field(default_factory=list)

    def copy_ids(self) -> set[str]:
        return {cid for it in self.iterations for cid in it.copies.values()}


def copy_id(member_id: str, iteration_id: str) -> str:
    return f"{member_id}{COPY_SEPARATOR}{iteration_id}"


def _children(graph: Graph) -> dict[str, list[GraphNode]]:
    children: dict[str, list[GraphNode]] = {}
    for n in graph.nodes:
        if n.parent_id is not None:
            children.setdefault(n.parent_id, []).append(n)
    return children


def _is_member(node: GraphNode) -> bool:
    return node.type not in (GROUP_TYPE, COMMENT_TYPE, LOOP_TYPE)


def group_members(graph: Graph, group_id: str, children: dict[str, list[GraphNode]] | None = None
                  ) -> list[GraphNode]:
    """Nodes inside the group, nested groups included; annotations excluded.

    Each group is entered once, so a parent cycle stored before cycles were refused
    cannot make the walk spin.
    """
    children = _children(graph) if children is None else children
    members: list[GraphNode] = []
    entered = {group_id}
    stack = [group_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child.type == GROUP_TYPE:
                if child.id not in entered:
                    entered.add(child.id)
                    stack.append(child.id)
            elif _is_member(child):
                members.append(child)
    return members


def _group_totals(graph: Graph, children: dict[str, list[GraphNode]]) -> dict[str, tuple[int, int]]:
    """Group id -> (members, links into members), nested groups included; one pass, cycle-safe."""
    inbound = Counter(e.target for e in graph.edges)
    totals: dict[str, tuple[int, int]] = {}
    entered: set[str] = set()
    for root in (n.id for n in graph.nodes if n.type == GROUP_TYPE):
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            gid, children_done = stack.pop()
            if children_done:
                members = links = 0
                for child in children.get(gid, ()):
                    if child.type == GROUP_TYPE:
                        m, e = totals.get(child.id, (0, 0))  # (0, 0) on a cycle's back edge
                        members, links = members + m, links + e
                    elif _is_member(child):
                        members, links = members + 1, links + inbound[child.id]
                totals[gid] = (members, links)
                continue
            if gid in entered:
                continue
            entered.add(gid)
            stack.append((gid, True))
            stack.extend((c.id, False) for c in children.get(gid, ()) if c.type == GROUP_TYPE)
    return totals


@dataclass
class _Loop:
    """A loop node's validated parameters and its target group."""

    node: GraphNode
    params: Any
    group_id: str
    enabled: int  # enabled iterations


def _resolve(graph: Graph, registry: NodeRegistry, loop_id: str, nodes_by_id: dict[str, GraphNode],
             *, strict: bool) -> _Loop | None:
    """The loop's parameters and target; None (tolerant) or a stable-coded error (strict) when unusable."""
    loop = nodes_by_id[loop_id]
    spec = registry.require(LOOP_TYPE)
    try:
        params: Any = spec.params_model.model_validate(loop.params)
    except ValidationError as exc:
        if not strict:
            return None
        raise graph_invalid([
            Problem("INVALID_PARAMETER", f"{spec.title} ({loop_id!r}): parameter {err['field']!r}: {err['message']}",
                    loop_id, field=err["field"])
            for err in param_errors(exc)
        ]) from None
    group_id: str = params.group_id
    group = nodes_by_id.get(group_id)
    if group is None or group.type != GROUP_TYPE:
        if not strict:
            return None
        raise InvalidRequest(f"loop {loop_id!r} targets {group_id!r}, which is not a group on the canvas",
                             code="LOOP_TARGET_INVALID", details={"node_id": loop_id})
    return _Loop(loop, params, group_id, len([it for it in params.iterations if it.enabled]))


def _size(graph: Graph, loops: list[_Loop], children: dict[str, list[GraphNode]]) -> tuple[int, int]:
    totals = _group_totals(graph, children)
    nodes, edges = len(graph.nodes), len(graph.edges)
    for lp in loops:
        members, links = totals.get(lp.group_id, (0, 0))
        nodes += lp.enabled * members
        edges += lp.enabled * links
    return nodes, edges


def _refuse_if_too_large(nodes: int, edges: int, max_nodes: int) -> None:
    if nodes > max_nodes or edges > EDGES_PER_NODE * max_nodes:
        raise GraphTooLarge(
            f"with its loops expanded this graph has {nodes} nodes and {edges} links; "
            f"a run may have at most {max_nodes} nodes and {EDGES_PER_NODE * max_nodes} links",
            details={"nodes": nodes, "edges": edges, "limit": max_nodes, "edge_limit": EDGES_PER_NODE * max_nodes},
        )


def expanded_size(graph: Graph, registry: NodeRegistry, loop_ids: list[str]) -> tuple[int, int]:
    """(nodes, links) the graph would have with these loops expanded, computed without expanding.

    Tolerant of a graph being edited: loops whose parameters or target are not valid yet are
    not counted (a run refuses them with their own codes).
    """
    nodes_by_id = graph.node_map()
    loops = [lp for lid in loop_ids if (lp := _resolve(graph, registry, lid, nodes_by_id, strict=False))]
    return _size(graph, loops, _children(graph))


def check_expansion(graph: Graph, registry: NodeRegistry, max_nodes: int) -> None:
    """Refuse (GRAPH_TOO_LARGE) a graph whose full run would exceed ``max_nodes``: run on save."""
    _refuse_if_too_large(*expanded_size(graph, registry, loop_node_ids(graph)), max_nodes)


def expand_loops(graph: Graph, registry: NodeRegistry, loop_ids: list[str], *, max_nodes: int | None = None
                 ) -> tuple[Graph, list[LoopPlan]]:
    """The graph with the given loops' iterations added as copies, and how they map.

    The expanded size is computed first and refused above ``max_nodes`` (GRAPH_TOO_LARGE),
    so a hostile loop never gets to allocate its copies.
    """
    nodes_by_id = graph.node_map()
    loops = [lp for lid in loop_ids if (lp := _resolve(graph, registry, lid, nodes_by_id, strict=True))]
    children = _children(graph)
    if max_nodes is not None:
        _refuse_if_too_large(*_size(graph, loops, children), max_nodes)
    if not loops:
        return graph, []
    new_nodes = list(graph.nodes)
    new_edges = list(graph.edges)
    plans: list[LoopPlan] = []
    members_of: dict[str, list[GraphNode]] = {}
    for lp in loops:
        loop_id, group_id = lp.node.id, lp.group_id
        if group_id not in members_of:
            members_of[group_id] = group_members(graph, group_id, children)
        members = members_of[group_id]
        member_ids = {m.id for m in members}
        inbound = [e for e in graph.edges if e.target in member_ids]
        plan = LoopPlan(loop_id, group_id)
        for iteration in lp.params.iterations:
            unknown = set(iteration.overrides) - member_ids
            if unknown:
                raise InvalidRequest(
                    f"loop {loop_id!r} iteration {iteration.id!r} overrides nodes outside the group: "
                    f"{sorted(unknown)[:20]}", code="LOOP_OVERRIDE_INVALID", details={"node_id": loop_id})
            if not iteration.enabled:
                continue
            copies = {m.id: copy_id(m.id, iteration.id) for m in members}
            for m in members:
                overrides = iteration.overrides.get(m.id, {})
                new_nodes.append(GraphNode.model_construct(
                    id=copies[m.id], type=m.type, position=m.position, params={**m.params, **overrides},
                    title=f"{m.title or _type_title(registry, m.type)} [{iteration.label or iteration.id}]",
                    notes=None,
                    width=None, height=None, parent_id=None, ui={},
                ))
            for e in inbound:
                new_edges.append(GraphEdge.model_construct(
                    id=f"{e.id}{COPY_SEPARATOR}{iteration.id}",
                    source=copies[e.source] if e.source in member_ids else e.source, source_handle=e.source_handle,
                    target=copies[e.target], target_handle=e.target_handle,
                ))
            plan.iterations.append(LoopIterationPlan(iteration.id, iteration.label or iteration.id, copies))
        plans.append(plan)
    return Graph.model_construct(nodes=new_nodes, edges=new_edges), plans


def loop_node_ids(graph: Graph) -> list[str]:
    return [n.id for n in graph.nodes if n.type == LOOP_TYPE]


def loop_summary(plan: LoopPlan, node_public: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-iteration outputs for the API: [{iteration_id, label, nodes: {member: state}}]."""
    out = []
    for it in plan.iterations:
        out.append({
            "iteration_id": it.iteration_id,
            "label": it.label,
            "nodes": {member: node_public.get(cid) for member, cid in it.copies.items()},
        })
    return out


def _type_title(registry: NodeRegistry, type_name: str) -> str:
    spec = registry.get(type_name)
    return spec.title if spec is not None else type_name
