/**
 * Canvas keyboard shortcuts as data: which command a key press means (see ShortcutsHelp for the
 * user-facing list). `hooks/useCanvasHotkeys.ts` listens and dispatches.
 */

export type CanvasCommand =
  | "undo"
  | "redo"
  | "copy"
  | "paste"
  | "duplicate"
  | "groupSelection"
  | "toggleBypass"
  | "toggleMute"
  | "selectAll"
  | "runAll"
  | "rerunSelected"
  | "fitView"
  | "showHelp"
  | "closeMenus";

/** The parts of a KeyboardEvent the mapping reads. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/** The command for a key press, or null when the canvas leaves it alone. Order matters: first match wins. */
export function canvasCommand(e: KeyPress, selectedCount: number): CanvasCommand | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === "z" && !e.shiftKey) return "undo";
  if (mod && ((key === "z" && e.shiftKey) || key === "y")) return "redo";
  if (mod && key === "c") return "copy";
  if (mod && key === "v") return "paste";
  if (mod && key === "d") return "duplicate";
  if (mod && key === "g") return "groupSelection";
  if (mod && key === "b" && !e.shiftKey) return "toggleBypass";
  if (mod && key === "m" && !e.shiftKey) return "toggleMute";
  if (mod && key === "a") return "selectAll";
  if (mod && key === "enter") return "runAll";
  if (!mod && e.shiftKey && key === "r" && selectedCount === 1) return "rerunSelected";
  if (!mod && key === "f") return "fitView";
  if (e.key === "?") return "showHelp";
  if (e.key === "Escape") return "closeMenus";
  return null;
}

/**
 * Whether the key's default action is prevented. Escape keeps its default: closing canvas menus is extra.
 * Paste keeps it too, so the browser's paste event brings the system clipboard (a workflow JSON pasted
 * onto the canvas); without one, the node clipboard is pasted.
 */
export function takesOverKey(command: CanvasCommand): boolean {
  return command !== "closeMenus" && command !== "paste";
}

/** Keys typed into a field belong to the field, not to the canvas. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}
