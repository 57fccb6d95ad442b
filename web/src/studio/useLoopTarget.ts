import { useStore } from "@xyflow/react";
import { useMemo } from "react";
import { GROUP_TYPE, type FlowNode } from "../lib/graphDoc";
import { groupMembers, readLoop, resultMembers, type LoopParams } from "../lib/loops";

export interface LoopTarget {
  loop: LoopParams;
  group: FlowNode | null;
  groupLabel: string;
  members: FlowNode[];
  /** Members whose outputs no other member consumes: what each iteration produces. */
  results: string[];
  groups: FlowNode[];
}

export function groupLabelOf(g: FlowNode | null | undefined): string {
  if (!g) return "";
  return (typeof g.data.params.label === "string" && g.data.params.label) || g.data.title || "Group";
}

/** The loop's parameters with its target group, the group's members and result members, from the canvas. */
export function useLoopTarget(params: Record<string, unknown>): LoopTarget {
  const nodes = useStore((s) => s.nodes) as FlowNode[];
  const edges = useStore((s) => s.edges);
  return useMemo(() => {
    const loop = readLoop(params);
    const lite = nodes.map((n) => ({ id: n.id, type: n.data.nodeType, parentId: n.parentId, node: n }));
    const group = nodes.find((n) => n.id === loop.group_id && n.data.nodeType === GROUP_TYPE) ?? null;
    const members = group ? groupMembers(lite, group.id).map((m) => m.node) : [];
    const results = resultMembers(members.map((m) => m.id), edges);
    const groups = nodes.filter((n) => n.data.nodeType === GROUP_TYPE);
    return { loop, group, groupLabel: groupLabelOf(group), members, results, groups };
  }, [params, nodes, edges]);
}
