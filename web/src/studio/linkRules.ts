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

/**
 * Why a link dragged from `from` (socket type `type`, an output when `fromSide` is "source") and dropped
 * away from any socket made nothing: on empty canvas, or on `on` (a node) beside its sockets.
 */
export function missedDropReason(catalog: Map<string, NodeSpec>, fromSide: "source" | "target", type: string, on: { title?: string | null; nodeType?: string } | null): string {
  if (!on) return `Link not made: it was dropped on the empty canvas. Drop it on a matching ${fromSide === "source" ? "input" : "output"} socket (a colored dot on a node's edge).`;
  const spec = catalog.get(String(on.nodeType));
  const title = on.title || spec?.title || "this node";
  const side = fromSide === "source" ? spec?.inputs ?? [] : spec?.outputs ?? [];
  const fits = side.filter((s) => (fromSide === "source" ? linkProblem(type, s.type) : linkProblem(s.type, type)) === null);
  if (!fits.length) return `Link not made: ${title} has no ${fromSide === "source" ? "input" : "output"} that takes ${type}.`;
  return `Link not made: drop it on the socket of ${title} (the dot beside ${fits.map((s) => `“${s.label}”`).join(" or ")}), not on the node's body.`;
}
