/**
 * The node clipboard: what Ctrl+C writes (to localStorage, so it crosses sessions, and to the
 * system clipboard) and what Ctrl+V reads back. Pure functions; `hooks/useClipboard.ts` does the I/O.
 */
import type { Graph } from "../lib/types";

/** localStorage key of the last copied nodes (also where a conflicted session's edits are kept). */
export const CLIP_KEY = "mas.clipboard.v1";

export interface ClipboardPayload {
  miniaistudio: "nodes";
  /** The session the nodes were copied from. */
  from: string;
  graph: Graph;
}

/** The clipboard text for `graph` copied out of session `sessionId`. */
export function clipboardText(sessionId: string, graph: Graph): string {
  const payload: ClipboardPayload = { miniaistudio: "nodes", from: sessionId, graph };
  return JSON.stringify(payload);
}

/** The graph in clipboard text, or null when the text is missing or not JSON. */
export function clipboardGraph(text: string | null): Graph | null {
  try {
    return (JSON.parse(text ?? "null") as { graph?: Graph } | null)?.graph ?? null;
  } catch {
    return null;
  }
}

/**
 * The ids to copy for a selection: the selected nodes plus, transitively, every member of a
 * selected group (a group is copied with its contents).
 */
export function selectionWithMembers(nodes: readonly { id: string; selected?: boolean; parentId?: string }[]): Set<string> {
  const picked = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) {
      if (n.parentId && picked.has(n.parentId) && !picked.has(n.id)) {
        picked.add(n.id);
        grew = true;
      }
    }
  }
  return picked;
}

/** The shift that puts the copied top-level nodes' top-left corner at `at` (flow coordinates). */
export function pasteOffset(clip: Graph, at: { x: number; y: number }): { x: number; y: number } {
  const tops = clip.nodes.filter((n) => !n.parent_id);
  const minX = Math.min(...tops.map((n) => n.position.x));
  const minY = Math.min(...tops.map((n) => n.position.y));
  return { x: at.x - minX, y: at.y - minY };
}
