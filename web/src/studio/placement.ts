/** Where new nodes go and how big annotation-like nodes start. Pure. */
import type { Position } from "../lib/types";

/** Starting sizes of node types that are frames or notes rather than cards sized by their content. */
export const DEFAULT_SIZE: Record<string, { width: number; height: number }> = {
  group: { width: 440, height: 300 },
  comment: { width: 260, height: 140 },
  loop: { width: 380, height: 260 },
};

/** `wanted`, moved diagonally until no node starts within 30 px of it (repeated adds fan out instead of stacking). */
export function freeSpot(wanted: Position, taken: readonly { position: Position }[]): Position {
  const near = (p: Position) => taken.some((n) => Math.abs(n.position.x - p.x) < 30 && Math.abs(n.position.y - p.y) < 30);
  let p = wanted;
  while (near(p)) p = { x: p.x + 36, y: p.y + 36 };
  return p;
}

export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * New positions for the boxes that overlap another (ids of moved boxes only): boxes are taken top
 * to bottom and each one that meets an earlier one (side by side they may touch; one above the other they
 * keep `gap` apart) moves down below it. Columns stay columns.
 */
export function spreadOverlaps(boxes: readonly Box[], gap = 24): Map<string, Position> {
  const placed: Box[] = [];
  const moved = new Map<string, Position>();
  const meets = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
  for (const original of [...boxes].sort((a, b) => a.y - b.y || a.x - b.x)) {
    const box = { ...original };
    for (let hit = placed.find((p) => meets(p, box)); hit; hit = placed.find((p) => meets(p, box))) box.y = hit.y + hit.height + gap;
    if (box.y !== original.y) moved.set(box.id, { x: box.x, y: box.y });
    placed.push(box);
  }
  return moved;
}
