import { ApiError } from "../lib/api";

/** One problem of a refused run (GRAPH_INVALID's `details.errors[]`): its sentence and, when it has one, the node. */
export interface RunProblem {
  message: string;
  code?: string;
  nodeId?: string;
}

/** The workflow problems a refused run names, empty for any other error. */
export function runProblems(e: unknown): RunProblem[] {
  type Raw = { message: string; code?: string; node_id?: string };
  const list = e instanceof ApiError ? ((e.details as { errors?: Raw[] } | undefined)?.errors ?? []) : [];
  return list.map((p) => ({ message: p.message, code: p.code, nodeId: p.node_id }));
}

/** Whether the rest of the workflow could run without these nodes: every problem is an unconnected input
 * (the server then skips those nodes and the ones after them, like ComfyUI runs only what can reach an output). */
export function canRunTheRest(problems: RunProblem[]): boolean {
  return problems.length > 0 && problems.every((p) => p.code === "MISSING_INPUT" && p.nodeId);
}

/** The nodes the problems name, each once. */
export function problemNodeIds(problems: RunProblem[]): string[] {
  return [...new Set(problems.flatMap((p) => (p.nodeId ? [p.nodeId] : [])))];
}
