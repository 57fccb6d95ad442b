import { useReactFlow, type Connection, type IsValidConnection, type OnConnectEnd, type OnConnectStart } from "@xyflow/react";
import { useCallback, useMemo, useRef, useState } from "react";
import { newId, type FlowEdge, type FlowNode } from "../../lib/graphDoc";
import { socketColor } from "../../lib/sockets";
import type { NodeSpec } from "../../lib/types";
import { toast } from "../../components/toast";
import type { DragOrigin } from "../context";
import { connectionProblem, missedDropReason } from "../linkRules";
import type { GraphState } from "./useGraphHistory";

function pointOf(e: MouseEvent | TouchEvent): { x: number; y: number } | null {
  const p = "changedTouches" in e ? e.changedTouches[0] : e;
  return p ? { x: p.clientX, y: p.clientY } : null;
}

/**
 * Links: which connections are allowed (the server's type rules, mirrored), making them (one link
 * per input: a new link replaces the old one), the drag in progress, and edges colored by socket type.
 */
export function useConnections(catalog: Map<string, NodeSpec>, graph: GraphState) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const { nodes, edges, edgesRef, record, setEdges } = graph;
  const [drag, setDrag] = useState<DragOrigin | null>(null);
  const dragFrom = useRef<{ x: number; y: number } | null>(null);

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
    (e, p) => {
      dragFrom.current = pointOf(e);
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
    (event, state) => {
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
        return;
      }
      // Dropped away from any socket: say so, unless it was a click (no drag) or it made a link.
      const at = pointOf(event);
      const start = dragFrom.current;
      if (state.toHandle || !state.fromHandle || !at || !start || Math.hypot(at.x - start.x, at.y - start.y) < 12) return;
      const fromSpec = catalog.get(String(rf.getNode(state.fromHandle.nodeId)?.data.nodeType));
      const socket = (state.fromHandle.type === "source" ? fromSpec?.outputs : fromSpec?.inputs)?.find((s) => s.name === state.fromHandle!.id);
      if (!socket) return;
      const onId = document.elementFromPoint(at.x, at.y)?.closest(".react-flow__node")?.getAttribute("data-id");
      if (onId === state.fromHandle.nodeId) return;
      const on = onId ? rf.getNode(onId) : undefined;
      if (on && on.type !== "studio") return; // a comment or a frame: not a place for links
      toast(missedDropReason(catalog, state.fromHandle.type, socket.type, on ? { title: on.data.title, nodeType: on.data.nodeType } : null), "warning");
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
