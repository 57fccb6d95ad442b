/**
 * Which nodes' outputs a graph edit makes outdated: a node whose parameters or incoming links
 * changed, and everything downstream of it (its inputs change with it). The server's saved-output
 * signatures settle it after the next save; this is the canvas's answer in the meantime.
 */

export interface EditedNode {
  id: string;
  params: unknown;
}

export interface EditedLink {
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

/** What a node's outputs depend on, as one comparable string per node id. */
export function inputKeys(nodes: readonly EditedNode[], links: readonly EditedLink[]): Map<string, string> {
  const incoming = new Map<string, string[]>();
  for (const l of links) {
    const list = incoming.get(l.target) ?? [];
    list.push(`${l.targetHandle ?? ""}<${l.source}.${l.sourceHandle ?? ""}`);
    incoming.set(l.target, list);
  }
  return new Map(nodes.map((n) => [n.id, `${JSON.stringify(n.params ?? {})}|${(incoming.get(n.id) ?? []).sort().join(",")}`]));
}

/** Nodes whose key changed from `before` to `after` (new and removed nodes are not "changed"), with their descendants. */
export function outdatedBy(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, links: readonly EditedLink[]): Set<string> {
  const changed = [...after].filter(([id, key]) => before.has(id) && before.get(id) !== key).map(([id]) => id);
  const out = new Set<string>();
  const stack = [...changed];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    for (const l of links) if (l.source === id && !out.has(l.target)) stack.push(l.target);
  }
  return out;
}
