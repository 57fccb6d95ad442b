/** Group geometry: the frame drawn around a selection, and which group a dragged node lands in. Pure. */
import type { Position } from "../lib/types";

/** A node's rectangle in flow coordinates (`at` is its absolute top-left corner). */
export interface Box {
  id: string;
  parentId?: string;
  at: Position;
  width: number;
  height: number;
}

/** Room around the members: a header band above them for the group's title. */
const PAD_X = 28;
const PAD_TOP = 52;
const PAD_BOTTOM = 28;

/** The frame of a new group around top-level boxes. */
export function groupFrame(members: readonly Omit<Box, "id">[]): { position: Position; width: number; height: number } {
  const box = members.reduce(
    (b, n) => ({ x1: Math.min(b.x1, n.at.x), y1: Math.min(b.y1, n.at.y), x2: Math.max(b.x2, n.at.x + n.width), y2: Math.max(b.y2, n.at.y + n.height) }),
    { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity },
  );
  return {
    position: { x: box.x1 - PAD_X, y: box.y1 - PAD_TOP },
    width: box.x2 - box.x1 + 2 * PAD_X,
    height: box.y2 - box.y1 + PAD_TOP + PAD_BOTTOM,
  };
}

/**
 * After a drag, a node whose centre lies in a group joins it, and a member dragged out of every
 * group leaves; positions become relative to the new parent (absolute when none).
 * Only nodes whose parent changes are answered.
 */
export function membershipAfterDrag(dragged: readonly Box[], frames: readonly Box[]): Map<string, { parentId: string | undefined; position: Position }> {
  const updates = new Map<string, { parentId: string | undefined; position: Position }>();
  for (const n of dragged) {
    const cx = n.at.x + n.width / 2;
    const cy = n.at.y + n.height / 2;
    const inside = frames.find((f) => f.id !== n.id && cx > f.at.x && cx < f.at.x + f.width && cy > f.at.y && cy < f.at.y + f.height);
    if (inside && inside.id !== n.parentId) {
      updates.set(n.id, { parentId: inside.id, position: { x: n.at.x - inside.at.x, y: n.at.y - inside.at.y } });
    } else if (!inside && n.parentId) {
      updates.set(n.id, { parentId: undefined, position: n.at });
    }
  }
  return updates;
}
