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

from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest
from .graph import Graph, GraphEdge, GraphNode
from .registry import NodeRegistry

LOOP_TYPE = "loop"
GROUP_TYPE = "group"
COPY_SEPARATOR = "::"


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


def group_members(graph: Graph, group_id: str) -> list[GraphNode]:
    """Nodes inside the group, nested groups included; annotations excluded."""
    children: dict[str, list[GraphNode]] = {}
    for n in graph.nodes:
        if n.parent_id is not None:
            children.setdefault(n.parent_id, []).append(n)
    members: list[GraphNode] = []
    stack = [group_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child.type == GROUP_TYPE:
                stack.append(child.id)
            elif child.type not in ("comment", LOOP_TYPE):
                members.append(child)
    return members


def expand_loops(graph: Graph, registry: NodeRegistry, loop_ids: list[str]) -> tuple[Graph, list[LoopPlan]]:
    """The graph with the given loops' iterations added as copies, and how they map."""
    if not loop_ids:
        return graph, []
    nodes_by_id = graph.node_map()
    new_nodes = list(graph.nodes)
    new_edges = list(graph.edges)
    plans: list[LoopPlan] = []
    for loop_id in loop_ids:
        loop = nodes_by_id[loop_id]
        spec = registry.require(LOOP_TYPE)
        params = spec.params_model.model_validate(loop.params)
        group_id: str = params.group_id  # type: ignore[attr-defined]
        group = nodes_by_id.get(group_id)
        if group is None or group.type != GROUP_TYPE:
            raise InvalidRequest(f"loop {loop_id!r} targets {group_id!r}, which is not a group on the canvas",
                                 code="LOOP_TARGET_INVALID", details={"node_id": loop_id})
        members = group_members(graph, group_id)
        member_ids = {m.id for m in members}
        plan = LoopPlan(loop_id, group_id)
        for iteration in params.iterations:  # type: ignore[attr-defined]
            unknown = set(iteration.overrides) - member_ids
            if unknown:
                raise InvalidRequest(
                    f"loop {loop_id!r} iteration {iteration.id!r} overrides nodes outside the group: "
                    f"{sorted(unknown)}", code="LOOP_OVERRIDE_INVALID", details={"node_id": loop_id})
            if not iteration.enabled:
                continue
            copies = {m.id: copy_id(m.id, iteration.id) for m in members}
            for m in members:
                overrides = iteration.overrides.get(m.id, {})
                new_nodes.append(GraphNode.model_construct(
                    id=copies[m.id], type=m.type, position=m.position, params={**m.params, **overrides},
                    title=f"{m.title or m.type} [{iteration.label or iteration.id}]", notes=None,
                    width=None, height=None, parent_id=None, ui={},
                ))
            for e in graph.edges:
                src_in, dst_in = e.source in member_ids, e.target in member_ids
                if not dst_in:
                    continue
                new_edges.append(GraphEdge.model_construct(
                    id=f"{e.id}{COPY_SEPARATOR}{iteration.id}",
                    source=copies[e.source] if src_in else e.source, source_handle=e.source_handle,
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
