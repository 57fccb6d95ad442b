/**
 * Two tabs: when a save is refused because the session changed elsewhere, this tab's own edits (what
 * it changed since its last save) are re-applied on top of the other version, instead of pasting the
 * whole graph again. Pure, so it is unit-tested; the canvas shows the returned list of what was re-applied.
 */
import type { Graph, GraphEdge, GraphNode } from "./types";

export interface Rebased {
  graph: Graph;
  /** One line per re-applied edit, in words ("Resize: width", "moved Resize", "added Blur"). */
  applied: string[];
  /** Edits that could not be re-applied (the node was deleted in the other version). */
  dropped: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const edgeKey = (e: GraphEdge) => `${e.source}\u0000${e.source_handle}\u0000${e.target}\u0000${e.target_handle}`;
const typeName = (type: string) => type.split(".").pop() || type;

/**
 * Re-applies the edits from `base` (this tab's last save) to `mine` (its canvas now) onto `theirs` (the
 * other version). `typeTitle` names a node type for the list (a node's own title comes first).
 */
export function rebaseEdits(base: Graph, mine: Graph, theirs: Graph, typeTitle: (type: string) => string = typeName): Rebased {
  const label = (n: GraphNode) => n.title || typeTitle(n.type) || n.id;
  const applied: string[] = [];
  const dropped: string[] = [];
  const baseNodes = new Map(base.nodes.map((n) => [n.id, n]));
  const mineNodes = new Map(mine.nodes.map((n) => [n.id, n]));
  const out = new Map(theirs.nodes.map((n) => [n.id, { ...n, params: { ...n.params }, position: { ...n.position } }]));

  for (const m of mine.nodes) {
    const b = baseNodes.get(m.id);
    if (!b) {
      // Added here: add it unless the other version has a node with the same id.
      if (!out.has(m.id)) {
        out.set(m.id, m);
        applied.push(`added ${label(m)}`);
      }
      continue;
    }
    const t = out.get(m.id);
    const changedParams = Object.keys({ ...b.params, ...m.params }).filter((k) => !same(b.params[k], m.params[k]));
    const moved = !same(b.position, m.position);
    const retitled = (b.title ?? null) !== (m.title ?? null);
    const renoted = (b.notes ?? null) !== (m.notes ?? null);
    if (!changedParams.length && !moved && !retitled && !renoted) continue;
    if (!t) {
      dropped.push(`${label(m)} was deleted in the other version; its changes here were not kept`);
      continue;
    }
    for (const k of changedParams) {
      if (k in m.params) t.params[k] = m.params[k];
      else delete t.params[k];
    }
    if (changedParams.length) applied.push(`${label(m)}: ${changedParams.join(", ")}`);
    if (moved) {
      t.position = { ...m.position };
      if (m.parent_id !== undefined) t.parent_id = m.parent_id;
      applied.push(`moved ${label(m)}`);
    }
    if (retitled) {
      t.title = m.title ?? null;
      applied.push(`renamed ${label(b)} to ${label(m)}`);
    }
    if (renoted) {
      t.notes = m.notes ?? null;
      applied.push(`notes of ${label(m)}`);
    }
  }
  for (const b of base.nodes) {
    if (!mineNodes.has(b.id) && out.delete(b.id)) applied.push(`deleted ${label(b)}`);
  }

  const baseEdges = new Set(base.edges.map(edgeKey));
  const mineEdges = new Set(mine.edges.map(edgeKey));
  const edges = theirs.edges.filter((e) => out.has(e.source) && out.has(e.target));
  const removed = new Set(base.edges.filter((e) => !mineEdges.has(edgeKey(e))).map(edgeKey));
  const kept = edges.filter((e) => !removed.has(edgeKey(e)));
  if (kept.length < edges.length) applied.push(`${edges.length - kept.length} link${edges.length - kept.length === 1 ? "" : "s"} removed`);
  const present = new Set(kept.map(edgeKey));
  // An input takes one link: a link added here replaces the other version's link into the same input.
  let added = 0;
  for (const e of mine.edges) {
    const k = edgeKey(e);
    if (baseEdges.has(k) || present.has(k)) continue;
    if (!out.has(e.source) || !out.has(e.target)) {
      dropped.push("a link to a node deleted in the other version");
      continue;
    }
    const i = kept.findIndex((x) => x.target === e.target && x.target_handle === e.target_handle);
    if (i >= 0) kept.splice(i, 1);
    kept.push(e);
    present.add(k);
    added++;
  }
  if (added) applied.push(`${added} link${added === 1 ? "" : "s"} added`);
  return { graph: { nodes: [...out.values()], edges: kept }, applied, dropped };
}
