/** Converts between the server's graph document and React Flow's nodes and edges. */
import type { Edge, Node } from "@xyflow/react";
import type { Graph, GraphEdge, GraphNode } from "./types";

export interface StudioNodeData extends Record<string, unknown> {
  nodeType: string;
  params: Record<string, unknown>;
  title: string | null;
  notes: string | null;
  ui: Record<string, unknown>;
  /** How the node takes part in a run: bypassed (inputs pass through) or muted (left out). */
  mode?: NodeMode;
}

export type NodeMode = "normal" | "bypass" | "mute";

export type FlowNode = Node<StudioNodeData>;
export type FlowEdge = Edge;

export const COMMENT_TYPE = "comment";
export const GROUP_TYPE = "group";

/** The React Flow component type that draws a node of `nodeType`. */
export const LOOP_NODE_TYPE = "loop";

export function flowType(nodeType: string): "comment" | "frame" | "loop" | "studio" {
  if (nodeType === COMMENT_TYPE) return "comment";
  if (nodeType === GROUP_TYPE) return "frame";
  if (nodeType === LOOP_NODE_TYPE) return "loop";
  return "studio";
}

export function newId(prefix = "n"): string {
  const rand = Math.random().toString(36).slice(2, 8) + Date.now().toString(36).slice(-4);
  return `${prefix}_${rand}`;
}

/** React Flow wants a parent before its children. */
export function parentsFirst<T extends { id: string }>(items: T[], parentOf: (t: T) => string | null | undefined): T[] {
  const byId = new Map(items.map((n) => [n.id, n]));
  const out: T[] = [];
  const seen = new Set<string>();
  const visit = (n: T, depth: number) => {
    if (seen.has(n.id) || depth > 50) return;
    const p = parentOf(n);
    const parent = p ? byId.get(p) : undefined;
    if (parent) visit(parent, depth + 1);
    seen.add(n.id);
    out.push(n);
  };
  for (const n of items) visit(n, 0);
  return out;
}

export function toFlowNode(n: GraphNode): FlowNode {
  const node: FlowNode = {
    id: n.id,
    type: flowType(n.type),
    position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 },
    data: {
      nodeType: n.type,
      params: { ...(n.params ?? {}) },
      title: n.title ?? null,
      notes: n.notes ?? null,
      ui: { ...(n.ui ?? {}) },
      ...(n.mode && n.mode !== "normal" ? { mode: n.mode } : {}),
    },
  };
  if (n.width != null) node.width = n.width;
  if (n.height != null) node.height = n.height;
  if (n.parent_id) {
    node.parentId = n.parent_id;
    node.extent = undefined;
  }
  if (n.type === GROUP_TYPE) node.zIndex = -1;
  if (n.type === COMMENT_TYPE || n.type === GROUP_TYPE) node.dragHandle = undefined;
  return node;
}

export function toFlowEdge(e: GraphEdge): FlowEdge {
  return { id: e.id, source: e.source, sourceHandle: e.source_handle, target: e.target, targetHandle: e.target_handle };
}

export function docToFlow(graph: Graph | null | undefined): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const nodes = parentsFirst(graph?.nodes ?? [], (n) => n.parent_id).map(toFlowNode);
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) if (n.parentId && !ids.has(n.parentId)) delete n.parentId;
  const edges = (graph?.edges ?? []).filter((e) => ids.has(e.source) && ids.has(e.target)).map(toFlowEdge);
  return { nodes, edges };
}

const round = (v: number) => Math.round(v * 10) / 10;

export function fromFlowNode(n: FlowNode): GraphNode {
  const d = n.data;
  const out: GraphNode = {
    id: n.id,
    type: d.nodeType,
    position: { x: round(n.position.x), y: round(n.position.y) },
    params: d.params ?? {},
    title: d.title || null,
    notes: d.notes || null,
    width: typeof n.width === "number" ? round(n.width) : null,
    height: typeof n.height === "number" ? round(n.height) : null,
    parent_id: n.parentId ?? null,
    ui: d.ui ?? {},
    mode: d.mode ?? "normal",
  };
  return out;
}

export function flowToDoc(nodes: FlowNode[], edges: FlowEdge[]): Graph {
  return {
    nodes: nodes.map(fromFlowNode),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      source_handle: e.sourceHandle ?? "",
      target: e.target,
      target_handle: e.targetHandle ?? "",
    })),
  };
}

/** A stable string for "did the document change" checks (selection and measurements excluded). */
export function docKey(graph: Graph): string {
  return JSON.stringify(graph);
}

/**
 * Prepares copied nodes for pasting: fresh ids, edges kept only between copied nodes,
 * parents kept only when the group was copied too, top-level nodes shifted by `offset`.
 */
export function remapForPaste(clip: Graph, offset: { x: number; y: number }): Graph {
  const ids = new Map<string, string>();
  for (const n of clip.nodes) ids.set(n.id, newId(n.type === GROUP_TYPE ? "g" : "n"));
  const nodes = clip.nodes.map((n) => {
    const parent = n.parent_id && ids.has(n.parent_id) ? ids.get(n.parent_id)! : null;
    const position = parent ? { ...n.position } : { x: n.position.x + offset.x, y: n.position.y + offset.y };
    return { ...n, id: ids.get(n.id)!, parent_id: parent, position, params: structuredClone(n.params ?? {}) };
  });
  const edges = clip.edges
    .filter((e) => ids.has(e.source) && ids.has(e.target))
    .map((e) => ({ ...e, id: newId("e"), source: ids.get(e.source)!, target: ids.get(e.target)! }));
  return { nodes: parentsFirst(nodes, (n) => n.parent_id), edges };
}

/** True when linking source → target would close a cycle. */
export function wouldCycle(edges: { source: string; target: string }[], source: string, target: string): boolean {
  if (source === target) return true;
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  const stack = [target];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === source) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(out.get(id) ?? []));
  }
  return false;
}
