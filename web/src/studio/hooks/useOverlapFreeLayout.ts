import { useNodesInitialized, useReactFlow } from "@xyflow/react";
import { useEffect, useRef } from "react";
import type { FlowEdge, FlowNode } from "../../lib/graphDoc";
import { spreadOverlaps } from "../placement";
import type { GraphState } from "./useGraphHistory";

/**
 * Once the opened graph's nodes are measured, nodes that overlap another (a recipe's layout, written
 * without knowing how tall a node renders) move down until none does: every socket stays reachable.
 * Only top-level cards move, once per opening; the change is saved like any other.
 */
export function useOverlapFreeLayout(graph: GraphState): void {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const measured = useNodesInitialized();
  const done = useRef(false);
  const { setNodes } = graph;
  useEffect(() => {
    if (!measured || done.current) return;
    done.current = true;
    const cards = rf.getNodes().filter((n) => n.type === "studio" && !n.parentId && n.measured?.width && n.measured?.height);
    const moved = spreadOverlaps(cards.map((n) => ({ id: n.id, x: n.position.x, y: n.position.y, width: n.measured!.width!, height: n.measured!.height! })));
    if (moved.size) setNodes((ns) => ns.map((n) => (moved.has(n.id) ? { ...n, position: moved.get(n.id)! } : n)));
  }, [measured, rf, setNodes]);
}
