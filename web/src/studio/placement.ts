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
