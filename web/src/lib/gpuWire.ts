/**
 * GPU auto-wiring: a node whose catalog entry has gpu=true gets its `gpu` input linked to the
 * session's GPU Control node (catalog tag `gpu-control`), created once per session when missing.
 */
import type { FlowNode } from "./graphDoc";
import { defaultParams } from "./schemaForm";
import type { Graph, GraphEdge, GraphNode, NodeSpec, Position } from "./types";

export const GPU_CONTROL_TYPE = "gpu.control";
export const GPU_CONTROL_TAG = "gpu-control";
const NODE_W = 280;
const NODE_H = 150;

export interface PlacedNode {
  id: string;
  type: string;
  position: Position;
  width?: number;
  height?: number;
  /** Set for nodes inside a group (their position is relative to it; they are not used for placement). */
  parentId?: string | null;
}

export interface GpuWiring {
  /** A GPU Control node to create first (null when the session has one). */
  create: { id: string; type: string; position: Position } | null;
  edge: { source: string; sourceHandle: string; target: string; targetHandle: string };
}

/** The canvas's nodes as wiring places them (measured sizes first). */
export function placedNodes(nodes: readonly FlowNode[]): PlacedNode[] {
  return nodes.map((n) => ({
    id: n.id,
    type: n.data.nodeType,
    position: n.position,
    parentId: n.parentId,
    width: n.measured?.width ?? n.width,
    height: n.measured?.height ?? n.height,
  }));
}

/** The catalog's GPU Control node type (by tag, then by the well-known type name). */
export function gpuControlSpec(catalog: Map<string, NodeSpec>): NodeSpec | undefined {
  for (const spec of catalog.values()) if (spec.tags?.includes(GPU_CONTROL_TAG)) return spec;
  return catalog.get(GPU_CONTROL_TYPE);
}

function overlaps(p: Position, nodes: PlacedNode[]): boolean {
  return nodes.some((n) => {
    const w = n.width ?? NODE_W;
    const h = n.height ?? NODE_H;
    return p.x < n.position.x + w + 20 && p.x + NODE_W + 20 > n.position.x && p.y < n.position.y + h + 20 && p.y + NODE_H + 20 > n.position.y;
  });
}

/** Left of the new node, moved up until it does not cover another top-level node. */
export function controlPosition(added: PlacedNode, others: PlacedNode[]): Position {
  let p = { x: added.position.x - NODE_W - 80, y: added.position.y };
  for (let i = 0; i < 40 && overlaps(p, others); i++) p = { x: p.x, y: p.y - NODE_H / 2 - 10 };
  return p;
}

/**
 * How to wire `added` (already placed, not yet in `nodes`), or null when it needs no GPU gate or
 * its gpu input is already linked. `nodes` are the session's nodes; top-level ones are avoided when placing.
 */
export function planGpuWiring(
  added: PlacedNode,
  nodes: PlacedNode[],
  edges: { target: string; targetHandle?: string | null }[],
  catalog: Map<string, NodeSpec>,
  newId: () => string,
): GpuWiring | null {
  const spec = catalog.get(added.type);
  const input = spec?.gpu ? spec.inputs.find((s) => s.type === "gpu") : undefined;
  const control = gpuControlSpec(catalog);
  const output = control?.outputs.find((s) => s.type === "gpu");
  if (!spec || !input || !control || !output) return null;
  if (edges.some((e) => e.target === added.id && e.targetHandle === input.name)) return null;
  const existing = nodes.find((n) => n.type === control.type);
  const create = existing ? null : { id: newId(), type: control.type, position: controlPosition(added, nodes.filter((n) => !n.parentId)) };
  const source = existing?.id ?? create!.id;
  return { create, edge: { source, sourceHandle: output.name, target: added.id, targetHandle: input.name } };
}

export interface PasteGpuResult {
  /** The pasted graph to insert: its GPU nodes linked to the session's one GPU Control node. */
  graph: Graph;
  /** The GPU Control node created for the paste (already in `graph.nodes`), or null. */
  created: string | null;
  /** How many gpu inputs were linked by this step. */
  linked: number;
}

/**
 * GPU auto-wiring for pasted or duplicated nodes (already remapped to fresh ids, not yet on the canvas).
 * The session keeps a single GPU Control node: pasted copies of it are dropped when the session has one
 * (their links move to it), several pasted copies collapse into the first. Every pasted GPU node whose
 * gpu input is still unlinked is linked to it; the control node is created when neither exists.
 */
export function wirePastedGpu(
  pasted: Graph,
  existing: PlacedNode[],
  catalog: Map<string, NodeSpec>,
  newId: (prefix: "gpu" | "e") => string,
): PasteGpuResult {
  const control = gpuControlSpec(catalog);
  const output = control?.outputs.find((s) => s.type === "gpu");
  if (!control || !output) return { graph: pasted, created: null, linked: 0 };
  const session = existing.find((n) => n.type === control.type)?.id;
  const copies = pasted.nodes.filter((n) => n.type === control.type).map((n) => n.id);
  const kept = session ?? copies[0];
  const dropped = new Set(copies.filter((id) => id !== kept));
  const nodes: GraphNode[] = pasted.nodes.filter((n) => !dropped.has(n.id));
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  for (const e of pasted.edges) {
    const moved = dropped.has(e.source) ? { ...e, source: kept! } : e;
    if (dropped.has(moved.target)) continue;
    const key = `${moved.source}:${moved.source_handle}>${moved.target}:${moved.target_handle}`;
    if (!seen.has(key)) seen.add(key), edges.push(moved);
  }
  let source = kept ?? null;
  let created: string | null = null;
  let linked = 0;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of [...nodes]) {
    const spec = catalog.get(n.type);
    const input = spec?.gpu ? spec.inputs.find((s) => s.type === "gpu") : undefined;
    if (!input || edges.some((e) => e.target === n.id && e.target_handle === input.name)) continue;
    if (!source) {
      // Left of the first GPU node (of its pasted group, when it is inside one), clear of the canvas's top-level nodes.
      const top = n.parent_id ? (byId.get(n.parent_id) ?? n) : n;
      const others = [...existing.filter((x) => !x.parentId), ...nodes.filter((x) => !x.parent_id && x.id !== top.id).map((x) => ({ id: x.id, type: x.type, position: x.position, width: x.width ?? undefined, height: x.height ?? undefined }))];
      created = source = newId("gpu");
      nodes.push({ id: created, type: control.type, position: controlPosition({ id: top.id, type: top.type, position: top.position }, others), params: defaultParams(control.params_schema) });
    }
    edges.push({ id: newId("e"), source, source_handle: output.name, target: n.id, target_handle: input.name });
    linked++;
  }
  return { graph: { nodes, edges }, created, linked };
}
