import { useCallback } from "react";
import { GROUP_TYPE, newId, parentsFirst, toFlowNode, type FlowNode } from "../../lib/graphDoc";
import { defaultParams } from "../../lib/schemaForm";
import type { NodeSpec, Position } from "../../lib/types";
import { toast } from "../../components/toast";
import { groupFrame, membershipAfterDrag, type Box } from "../grouping";
import type { GraphState } from "./useGraphHistory";

/** Groups (React Flow sub-flows drawn as frames): group the selection, ungroup, drag in and out. */
export function useGrouping(catalog: Map<string, NodeSpec>, graph: GraphState, absolute: (n: FlowNode) => Position) {
  const { nodesRef, record, setNodes, setEdges } = graph;

  /** Puts the selected top-level nodes into a new group around them. */
  const groupSelection = useCallback(() => {
    const sel = nodesRef.current.filter((n) => n.selected && !n.parentId && n.type !== "frame");
    if (!sel.length || !catalog.get(GROUP_TYPE)) return;
    const frame = groupFrame(sel.map((n) => ({ at: n.position, width: n.measured?.width ?? n.width ?? 260, height: n.measured?.height ?? n.height ?? 160 })));
    const origin = frame.position;
    const group = toFlowNode({
      id: newId("g"),
      type: GROUP_TYPE,
      position: origin,
      params: defaultParams(catalog.get(GROUP_TYPE)!.params_schema),
      width: frame.width,
      height: frame.height,
    });
    const ids = new Set(sel.map((n) => n.id));
    record();
    setNodes((ns) => [
      group,
      ...ns.map((n) => (ids.has(n.id) ? { ...n, selected: false, parentId: group.id, position: { x: n.position.x - origin.x, y: n.position.y - origin.y } } : n)),
    ]);
    toast(`Grouped ${sel.length} node(s)`, "success");
  }, [catalog, nodesRef, record, setNodes]);

  /** Removes the group, keeping its members where they are on screen. */
  const ungroup = useCallback(
    (id: string) => {
      const g = nodesRef.current.find((n) => n.id === id);
      if (!g) return;
      const at = absolute(g);
      record();
      setNodes((ns) =>
        ns.filter((n) => n.id !== id).map((n) => (n.parentId === id ? { ...n, parentId: undefined, position: { x: n.position.x + at.x, y: n.position.y + at.y } } : n)),
      );
      setEdges((es) => es.filter((e) => e.source !== id && e.target !== id));
    },
    [absolute, nodesRef, record, setEdges, setNodes],
  );

  /** After a drag: drop a node into a group, or take it out when dragged outside. */
  const onNodeDragStop = useCallback(
    (_: unknown, __: FlowNode, dragged: FlowNode[]) => {
      const frames: Box[] = nodesRef.current
        .filter((n) => n.type === "frame")
        .map((f) => ({ id: f.id, parentId: f.parentId, at: absolute(f), width: f.width ?? f.measured?.width ?? 0, height: f.height ?? f.measured?.height ?? 0 }));
      const moved: Box[] = dragged
        .filter((n) => n.type !== "frame")
        .map((n) => ({ id: n.id, parentId: n.parentId, at: absolute(n), width: n.measured?.width ?? 260, height: n.measured?.height ?? 120 }));
      const updates = membershipAfterDrag(moved, frames);
      if (updates.size) setNodes((ns) => parentsFirst(ns.map((n) => (updates.has(n.id) ? { ...n, ...updates.get(n.id) } : n)), (n) => n.parentId));
    },
    [absolute, nodesRef, setNodes],
  );

  return { groupSelection, ungroup, onNodeDragStop };
}
