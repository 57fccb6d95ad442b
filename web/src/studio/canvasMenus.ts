/**
 * The canvas context menus as data: what right-clicking the pane or a node offers.
 * Pure: the caller passes the commands, `ContextMenu` draws the items.
 */
import type { MenuItem } from "./ContextMenu";

export type MenuEntry = MenuItem | "sep";

export interface PaneMenuCommands {
  openQuickAdd: () => void;
  paste: () => void;
  fitView: () => void;
  exportWorkflow?: () => void;
  importWorkflow?: () => void;
}

export interface NodeMenuCommands {
  rerun: (id: string) => void;
  runFrom: (id: string) => void;
  cancel: (id: string) => void;
  addLoop: (groupId: string) => void;
  ungroup: (id: string) => void;
  groupSelection: () => void;
  duplicate: () => void;
  copy: () => void;
  deleteSelection: () => void;
  /** Bypass or mute the node (and the rest of the selection), or back to normal when it already is. */
  toggleMode: (id: string, mode: "bypass" | "mute") => void;
}

/** The node right-clicked: its React Flow type ("studio", "frame", "loop", "comment") and whether it runs. */
export interface MenuNode {
  id: string;
  flowType?: string;
  executable: boolean;
  mode?: string;
}

/** What the user's role lets them do here (see lib/roles.ts); editing entries need `edit`, run entries `run`. */
export interface MenuAbilities {
  run: boolean;
  edit: boolean;
}

const EVERYTHING: MenuAbilities = { run: true, edit: true };

export function paneMenu(c: PaneMenuCommands, can: MenuAbilities = EVERYTHING): MenuEntry[] {
  const exporting: MenuEntry[] = c.exportWorkflow ? ["sep", { label: "Export workflow (JSON)", onSelect: c.exportWorkflow }] : [];
  if (!can.edit) return [{ label: "Fit view", shortcut: "F", onSelect: c.fitView }, ...exporting];
  return [
    { label: "Add node…", onSelect: c.openQuickAdd },
    { label: "Paste", shortcut: "Ctrl+V", onSelect: c.paste },
    { label: "Fit view", shortcut: "F", onSelect: c.fitView },
    ...exporting,
    ...(c.importWorkflow ? [{ label: "Import workflow (JSON)…", onSelect: c.importWorkflow }] : []),
  ];
}

/**
 * Run commands for executable nodes, group commands for groups (a loop only when the catalog has
 * the loop type), "Group selection" when several nodes are selected, then the editing commands.
 */
export function nodeMenu(
  node: MenuNode,
  state: { loopAvailable: boolean; selectedCount: number },
  c: NodeMenuCommands,
  can: MenuAbilities = EVERYTHING,
): MenuEntry[] {
  const { id } = node;
  const items: MenuEntry[] = [];
  if (!can.edit) {
    if (can.run && node.executable) {
      items.push({ label: "Rerun this node", shortcut: "Shift+R", onSelect: () => c.rerun(id) }, { label: "Run from here", onSelect: () => c.runFrom(id) }, { label: "Cancel node", onSelect: () => c.cancel(id) });
    } else if (can.run && node.flowType === "loop") items.push({ label: "Run loop", onSelect: () => c.rerun(id) });
    return items;
  }
  if (node.executable) {
    items.push(
      { label: "Rerun this node", shortcut: "Shift+R", onSelect: () => c.rerun(id) },
      { label: "Run from here", onSelect: () => c.runFrom(id) },
      { label: "Cancel node", onSelect: () => c.cancel(id) },
      "sep",
      { label: node.mode === "bypass" ? "Stop bypassing" : "Bypass", shortcut: "Ctrl+B", onSelect: () => c.toggleMode(id, "bypass") },
      { label: node.mode === "mute" ? "Unmute" : "Mute", shortcut: "Ctrl+M", onSelect: () => c.toggleMode(id, "mute") },
      "sep",
    );
  }
  if (node.flowType === "frame") {
    if (state.loopAvailable) items.push({ label: "Add loop over this group", onSelect: () => c.addLoop(id) });
    items.push({ label: "Ungroup", onSelect: () => c.ungroup(id) });
  } else if (node.flowType === "loop") items.push({ label: "Run loop", onSelect: () => c.rerun(id) }, "sep");
  else if (state.selectedCount > 1) items.push({ label: "Group selection", shortcut: "Ctrl+G", onSelect: c.groupSelection });
  items.push(
    { label: "Duplicate", shortcut: "Ctrl+D", onSelect: c.duplicate },
    { label: "Copy", shortcut: "Ctrl+C", onSelect: c.copy },
    "sep",
    { label: "Delete", shortcut: "Del", danger: true, onSelect: c.deleteSelection },
  );
  return items;
}
