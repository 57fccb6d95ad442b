import { useReactFlow, type Connection, type IsValidConnection, type OnConnectEnd, type OnConnectStart } from "@xyflow/react";
import { useCallback, useMemo, useState } from "react";
import { newId, type FlowEdge, type FlowNode } from "../../lib/graphDoc";
import { socketColor } from "../../lib/sockets";
import type { NodeSpec } from "../../lib/types";
import { toast } from "../../components/toast";
import type { DragOrigin } from "../context";
import { connectionProblem } from "../linkRules";
import type { GraphState } from "./useGraphHistory";

/**
 * Links: which connections are allowed (the server's type rules, mirrored), making them (one link
 * per input: a new link replaces the old one), the drag in progress, and edges colored by socket type.
 */
export function useConnections(catalog: Map<string, NodeSpec>, graph: GraphState) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const { nodes, edges, edgesRef, record, setEdges } = graph;
  const [drag, setDrag] = useState<DragOrigin | null>(null);

  /** Why a link cannot be made, or null. The link it would replace does not count against it. */
  const problemOf = useCallback(
    (c: Connection | FlowEdge) =>
      connectionProblem(catalog, rf.getNode(c.source), c.sourceHandle, rf.getNode(c.target), c.targetHandle, edgesRef.current.filter((e) => !(e.target === c.target && e.targetHandle === c.targetHandle))),
    [catalog, edgesRef, rf],
  );
  const isValidConnection: IsValidConnection<FlowEdge> = useCallback((c) => problemOf(c) === null, [problemOf]);
  const onConnect = useCallback(
    (c: Connection) => {
      if (problemOf(c)) return;
      record();
      setEdges((es) => [
        ...es.filter((e) => !(e.target === c.target && e.targetHandle === c.targetHandle)),
        { id: newId("e"), source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle },
      ]);
    },
    [problemOf, record, setEdges],
  );
  const onConnectStart: OnConnectStart = useCallback(
    (_, p) => {
      if (!p.nodeId || !p.handleId || !p.handleType) return;
      const n = rf.getNode(p.nodeId);
      const spec = catalog.get(String(n?.data.nodeType));
      const list = p.handleType === "source" ? spec?.outputs : spec?.inputs;
      const sock = list?.find((s) => s.name === p.handleId);
      if (sock) setDrag({ nodeId: p.nodeId, handleId: p.handleId, handleType: p.handleType, socketType: sock.type });
    },
    [catalog, rf],
  );
  /** A drop on an incompatible handle says why it was refused. */
  const onConnectEnd: OnConnectEnd = useCallback(
    (_, state) => {
      setDrag(null);
      if (state.toHandle && state.fromHandle && state.isValid === false) {
        const from = state.fromHandle;
        const to = state.toHandle;
        const reason =
          from.type === to.type
            ? "connect an output to an input"
            : from.type === "source"
              ? connectionProblem(catalog, rf.getNode(from.nodeId), from.id, rf.getNode(to.nodeId), to.id, edgesRef.current)
              : connectionProblem(catalog, rf.getNode(to.nodeId), to.id, rf.getNode(from.nodeId), from.id, edgesRef.current);
        if (reason) toast(`Link refused: ${reason}`, "error");
      }
    },
    [catalog, edgesRef, rf],
  );

  const styledEdges = useMemo(
    () =>
      edges.map((e) => {
        const src = nodes.find((n) => n.id === e.source);
        const type = catalog.get(String(src?.data.nodeType))?.outputs.find((s) => s.name === e.sourceHandle)?.type ?? "";
        return { ...e, style: { stroke: socketColor(type), strokeWidth: e.selected ? 3.5 : 2.25 } };
      }),
    [edges, nodes, catalog],
  );

  return { drag, isValidConnection, onConnect, onConnectStart, onConnectEnd, styledEdges };
}
