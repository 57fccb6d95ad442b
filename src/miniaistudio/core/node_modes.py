"""Bypass and mute (``GraphNode.mode``), as ComfyUI users know them: a run sees the graph rewritten.

- ``mute``: the node does not run, and neither does any node left without a required input by that
  (everything only downstream of it); an optional input it fed is simply unlinked.
- ``bypass``: the node does not run; each of its outputs is fed by its first linked input of the same
  socket type (Image Adjust bypassed hands its image straight on). An output with no such input is
  treated as muted.

Only executable nodes have a mode (groups, comments and loops always take part). The nodes set aside are
reported ``skipped`` with a reason (``MUTED``, ``BYPASSED``, ``UPSTREAM_MUTED``); links rewired through a
bypassed node keep the id of the link they replace, so a rewritten graph is still one link per input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .graph import Graph, GraphEdge
from .validation import CheckedGraph, node_label

NORMAL, BYPASS, MUTE = "normal", "bypass", "mute"

Feed = tuple[str, str]  # (source node id, source output name)


@dataclass(frozen=True)
class ModedGraph:
    graph: Graph  # what runs: set-aside nodes removed, links through bypassed nodes rewired
    set_aside: dict[str, dict[str, Any]] = field(default_factory=dict)  # node id -> {code, message}
    node_types: dict[str, str] = field(default_factory=dict)  # node id -> type, of the set-aside nodes


def has_modes(graph: Graph) -> bool:
    return any(n.mode != NORMAL for n in graph.nodes)


def apply_modes(checked: CheckedGraph) -> ModedGraph:
    """The graph a run executes given each node's mode (the graph itself when every node is normal)."""
    if not has_modes(checked.graph):
        return ModedGraph(checked.graph)
    set_aside: dict[str, dict[str, Any]] = {}
    through: dict[Feed, Feed | None] = {}  # an output of a set-aside node -> what feeds it now
    feeds: dict[str, dict[str, Feed]] = {}
    for nid in checked.order:
        spec, node = checked.specs[nid], checked.nodes[nid]
        inputs: dict[str, Feed] = {}
        for name, edge in checked.incoming.get(nid, {}).items():
            feed: Feed | None = (edge.source, edge.source_handle)
            if edge.source in set_aside:
                feed = through.get((edge.source, edge.source_handle))
            if feed is not None:
                inputs[name] = feed
        feeds[nid] = inputs
        mode = node.mode if spec.executable else NORMAL
        label = node_label(checked, nid)
        if mode == MUTE:
            set_aside[nid] = {"code": "MUTED", "message": f"{label} is muted"}
        elif mode == BYPASS:
            set_aside[nid] = {"code": "BYPASSED", "message": f"{label} is bypassed: its inputs pass through"}
            for out_name, out in spec.outputs.items():
                through[(nid, out_name)] = next(
                    (inputs[name] for name, sock in spec.inputs.items() if sock.type == out.type and name in inputs),
                    None)
        else:
            lost = [name for name in checked.incoming.get(nid, {}) if name not in inputs and spec.inputs[name].required]
            if lost:
                source = checked.incoming[nid][lost[0]].source
                why = ("bypassed without an input of that type" if checked.nodes[source].mode == BYPASS
                       else "muted" if checked.nodes[source].mode == MUTE else "left out")
                set_aside[nid] = {"code": "UPSTREAM_MUTED",
                                  "message": f"{label} waits for {node_label(checked, source)}, which is {why}"}
    edges = [GraphEdge(id=checked.incoming[target][name].id, source=source, source_handle=handle, target=target,
                       target_handle=name)
             for target, inputs in feeds.items() if target not in set_aside
             for name, (source, handle) in inputs.items()]
    nodes = [n for n in checked.graph.nodes if n.id not in set_aside]
    return ModedGraph(Graph(nodes=nodes, edges=edges), set_aside,
                      {nid: checked.nodes[nid].type for nid in set_aside})
