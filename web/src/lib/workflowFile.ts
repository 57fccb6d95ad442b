/**
 * A workflow as a file: our graph document wrapped with a name, what "Export workflow" writes and
 * "Import workflow" / pasting JSON onto the canvas read back. Reading checks everything before the
 * canvas changes: size, JSON, shape, node types this studio knows, links between nodes of the file.
 */
import type { Graph, GraphEdge, GraphNode } from "./types";

export const WORKFLOW_FORMAT = "miniaistudio.workflow";
/** Largest workflow text accepted (a graph document is small; media are referenced by id, not embedded). */
export const WORKFLOW_MAX_BYTES = 2_000_000;
/** Most nodes one import may add. */
export const WORKFLOW_MAX_NODES = 500;

export interface WorkflowFile {
  format: typeof WORKFLOW_FORMAT;
  version: 1;
  name: string;
  exported_at: string;
  graph: Graph;
}

export type WorkflowRead = { ok: true; graph: Graph; name: string | null } | { ok: false; reason: string };

export function workflowFile(name: string, graph: Graph, now = new Date()): WorkflowFile {
  return { format: WORKFLOW_FORMAT, version: 1, name, exported_at: now.toISOString(), graph };
}

/** A portable file name: "Portrait pipeline.workflow.json" (no characters Windows refuses). */
export function workflowFileName(name: string): string {
  const clean = name.replace(/[<>:"/\\|?*\u0000-\u001f]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 80);
  return `${clean || "workflow"}.workflow.json`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Reads workflow text: our exported file, or a bare graph document ({nodes, edges}). `known`: node
 * types this studio has. Answers the graph, or why it is refused, in words.
 */
export function readWorkflow(text: string, known: (type: string) => boolean): WorkflowRead {
  if (new Blob([text]).size > WORKFLOW_MAX_BYTES)
    return { ok: false, reason: `The workflow is too large (over ${WORKFLOW_MAX_BYTES / 1_000_000} MB).` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: "This is not a workflow: the text is not JSON." };
  }
  if (!isObj(data)) return { ok: false, reason: "This is not a workflow: expected a JSON object." };
  if ("format" in data && data.format !== WORKFLOW_FORMAT) return { ok: false, reason: `Unknown workflow format “${String(data.format)}”.` };
  const graph = data.format === WORKFLOW_FORMAT ? data.graph : data;
  if (!isObj(graph) || !Array.isArray(graph.nodes) || !Array.isArray(graph.edges ?? []))
    return { ok: false, reason: "This is not a workflow: it has no list of nodes." };
  const rawNodes = graph.nodes as unknown[];
  const rawEdges = (graph.edges ?? []) as unknown[];
  if (!rawNodes.length) return { ok: false, reason: "The workflow has no nodes." };
  if (rawNodes.length > WORKFLOW_MAX_NODES) return { ok: false, reason: `The workflow has ${rawNodes.length} nodes; at most ${WORKFLOW_MAX_NODES} can be imported at once.` };
  const nodes: GraphNode[] = [];
  const ids = new Set<string>();
  const unknown = new Set<string>();
  for (const [i, n] of rawNodes.entries()) {
    if (!isObj(n) || typeof n.id !== "string" || !n.id || typeof n.type !== "string")
      return { ok: false, reason: `Node ${i + 1} has no id or type.` };
    if (ids.has(n.id)) return { ok: false, reason: `Two nodes have the id “${n.id}”.` };
    const pos = n.position;
    if (!isObj(pos) || !isNum(pos.x) || !isNum(pos.y)) return { ok: false, reason: `Node “${n.id}” has no position.` };
    if (n.params !== undefined && !isObj(n.params)) return { ok: false, reason: `The settings of node “${n.id}” are not an object.` };
    if (!known(n.type)) unknown.add(n.type);
    ids.add(n.id);
    nodes.push({ ...(n as unknown as GraphNode), position: { x: pos.x, y: pos.y }, params: (n.params as Record<string, unknown>) ?? {} });
  }
  if (unknown.size) return { ok: false, reason: `This studio has no node type ${[...unknown].slice(0, 5).map((t) => `“${t}”`).join(", ")}${unknown.size > 5 ? ` and ${unknown.size - 5} more` : ""}.` };
  for (const n of nodes) {
    if (n.parent_id && !ids.has(n.parent_id)) return { ok: false, reason: `Node “${n.id}” is in a group that is not in the workflow.` };
  }
  const edges: GraphEdge[] = [];
  for (const [i, e] of rawEdges.entries()) {
    if (!isObj(e) || typeof e.source !== "string" || typeof e.target !== "string" || typeof e.source_handle !== "string" || typeof e.target_handle !== "string")
      return { ok: false, reason: `Link ${i + 1} is missing its ends.` };
    if (!ids.has(e.source) || !ids.has(e.target)) return { ok: false, reason: `Link ${i + 1} joins a node that is not in the workflow.` };
    edges.push({ id: typeof e.id === "string" ? e.id : `e${i}`, source: e.source, source_handle: e.source_handle, target: e.target, target_handle: e.target_handle });
  }
  const name = data.format === WORKFLOW_FORMAT && typeof data.name === "string" ? data.name : null;
  return { ok: true, graph: { nodes, edges }, name };
}

/** Whether pasted text looks like a workflow (so a paste imports it rather than the node clipboard). */
export function looksLikeWorkflow(text: string): boolean {
  const t = text.trimStart();
  if (!t.startsWith("{")) return false;
  return t.includes(`"${WORKFLOW_FORMAT}"`) || (/"nodes"\s*:/.test(t) && !t.includes('"miniaistudio"'));
}
