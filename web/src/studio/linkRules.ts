import { wouldCycle, type StudioNodeData } from "../lib/graphDoc";
import { linkProblem } from "../lib/sockets";
import type { NodeSpec } from "../lib/types";

interface End {
  data: StudioNodeData | Record<string, unknown>;
  id: string;
}

/** Why source.sourceHandle → target.targetHandle is refused, or null: socket types (server rule) and cycles. */
export function connectionProblem(
  catalog: Map<string, NodeSpec>,
  source: End | undefined,
  sourceHandle: string | null | undefined,
  target: End | undefined,
  targetHandle: string | null | undefined,
  edges: { source: string; target: string }[],
): string | null {
  if (!source || !target) return "unknown node";
  if (source.id === target.id) return "a node cannot feed itself";
  const out = catalog.get(String(source.data.nodeType))?.outputs.find((s) => s.name === sourceHandle);
  const inp = catalog.get(String(target.data.nodeType))?.inputs.find((s) => s.name === targetHandle);
  if (!out || !inp) return "connect an output to an input";
  const why = linkProblem(out.type, inp.type);
  if (why) return why;
  if (wouldCycle(edges, source.id, target.id)) return "this link would create a loop in the workflow";
  return null;
}
