/** The node-field picking both publish dialogs share (Publish as recipe, Publish as app): which node
 * fields are picked, each with a text (the recipe input's name, the app input's label) and "required". */

export interface FieldCandidate {
  key: string;
  nodeId: string;
  nodeTitle: string;
  label: string;
}

export interface PickedField {
  text: string;
  required: boolean;
}

export type Picked = Record<string, PickedField>;

/** Candidates grouped by their node, in the order the nodes first appear. */
export function groupByNode<C extends FieldCandidate>(candidates: C[]): [string, C[]][] {
  const byNode = new Map<string, C[]>();
  for (const c of candidates) byNode.set(c.nodeId, [...(byNode.get(c.nodeId) ?? []), c]);
  return [...byNode.entries()];
}

/** Pick a field (its first text and required from ``make``) or drop it when it was picked. */
export function togglePicked(cur: Picked, key: string, make: (cur: Picked) => PickedField): Picked {
  if (cur[key]) {
    const { [key]: _gone, ...rest } = cur;
    return rest;
  }
  return { ...cur, [key]: make(cur) };
}

export function editPicked(cur: Picked, key: string, patch: Partial<PickedField>): Picked {
  return cur[key] ? { ...cur, [key]: { ...cur[key], ...patch } } : cur;
}

/** The picked candidates, in candidate order, with what was picked for each. */
export function pickedOf<C extends FieldCandidate>(candidates: C[], picked: Picked): [C, PickedField][] {
  return candidates.filter((c) => picked[c.key]).map((c) => [c, picked[c.key]]);
}
