import { useReactFlow } from "@xyflow/react";
import { useCallback } from "react";
import type { FlowEdge, FlowNode } from "../../lib/graphDoc";
import type { Position } from "../../lib/types";

/** A node's position in flow coordinates (a group member's own position is relative to its group). */
export function useAbsolutePosition(): (n: FlowNode) => Position {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  return useCallback((n: FlowNode) => rf.getInternalNode(n.id)?.internals.positionAbsolute ?? n.position, [rf]);
}
