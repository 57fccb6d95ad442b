import { describe, expect, it, vi } from "vitest";
import { nodeMenu, paneMenu, type MenuEntry, type NodeMenuCommands } from "./canvasMenus";

const labels = (items: MenuEntry[]) => items.map((i) => (i === "sep" ? "—" : i.label));

function commands(): NodeMenuCommands {
  return {
    rerun: vi.fn(),
    runFrom: vi.fn(),
    cancel: vi.fn(),
    addLoop: vi.fn(),
    ungroup: vi.fn(),
    groupSelection: vi.fn(),
    duplicate: vi.fn(),
    copy: vi.fn(),
    deleteSelection: vi.fn(),
    toggleMode: vi.fn(),
  };
}
const pick = (items: MenuEntry[], label: string) => {
  const item = items.find((i) => i !== "sep" && i.label === label);
  if (!item || item === "sep") throw new Error(`no ${label}`);
  return item;
};

describe("paneMenu", () => {
  it("offers add, paste and fit view", () => {
    const c = { openQuickAdd: vi.fn(), paste: vi.fn(), fitView: vi.fn() };
    const items = paneMenu(c);
    expect(labels(items)).toEqual(["Add node…", "Paste", "Fit view"]);
    pick(items, "Paste").onSelect();
    expect(c.paste).toHaveBeenCalledOnce();
  });
});

describe("nodeMenu", () => {
  const state = { loopAvailable: true, selectedCount: 1 };
  it("offers run commands for executable nodes, aimed at that node", () => {
    const c = commands();
    const items = nodeMenu({ id: "n1", flowType: "studio", executable: true }, state, c);
    expect(labels(items)).toEqual(["Rerun this node", "Run from here", "Cancel node", "—", "Bypass", "Mute", "—", "Duplicate", "Copy", "—", "Delete"]);
    pick(items, "Run from here").onSelect();
    expect(c.runFrom).toHaveBeenCalledWith("n1");
    expect(pick(items, "Delete").danger).toBe(true);
  });
  it("bypasses and mutes a node, and offers the way back when it already is", () => {
    const c = commands();
    const items = nodeMenu({ id: "n1", flowType: "studio", executable: true }, state, c);
    expect(pick(items, "Bypass").shortcut).toBe("Ctrl+B");
    pick(items, "Mute").onSelect();
    expect(c.toggleMode).toHaveBeenCalledWith("n1", "mute");
    const bypassed = nodeMenu({ id: "n1", flowType: "studio", executable: true, mode: "bypass" }, state, c);
    pick(bypassed, "Stop bypassing").onSelect();
    expect(c.toggleMode).toHaveBeenLastCalledWith("n1", "bypass");
    expect(labels(nodeMenu({ id: "n1", flowType: "studio", executable: true, mode: "mute" }, state, c))).toContain("Unmute");
  });
  it("offers loop and ungroup on a group; no loop when the catalog has none", () => {
    const c = commands();
    const items = nodeMenu({ id: "g1", flowType: "frame", executable: false }, state, c);
    expect(labels(items)).toEqual(["Add loop over this group", "Ungroup", "Duplicate", "Copy", "—", "Delete"]);
    pick(items, "Add loop over this group").onSelect();
    expect(c.addLoop).toHaveBeenCalledWith("g1");
    expect(labels(nodeMenu({ id: "g1", flowType: "frame", executable: false }, { ...state, loopAvailable: false }, c))).not.toContain("Add loop over this group");
  });
  it("runs a loop node's iterations by rerunning it", () => {
    const c = commands();
    const items = nodeMenu({ id: "l1", flowType: "loop", executable: true }, { loopAvailable: true, selectedCount: 3 }, c);
    expect(labels(items)).toContain("Run loop");
    expect(labels(items)).not.toContain("Group selection");
    pick(items, "Run loop").onSelect();
    expect(c.rerun).toHaveBeenCalledWith("l1");
  });
  it("offers grouping when several nodes are selected", () => {
    const items = nodeMenu({ id: "n1", flowType: "comment", executable: false }, { loopAvailable: true, selectedCount: 2 }, commands());
    expect(labels(items)).toEqual(["Group selection", "Duplicate", "Copy", "—", "Delete"]);
  });
});

describe("menus by role", () => {
  const node = { id: "n1", flowType: "studio", executable: true };
  const state = { loopAvailable: true, selectedCount: 1 };
  it("gives a viewer nothing that changes or runs the workflow", () => {
    expect(labels(paneMenu({ openQuickAdd: vi.fn(), paste: vi.fn(), fitView: vi.fn() }, { run: false, edit: false }))).toEqual(["Fit view"]);
    expect(nodeMenu(node, state, commands(), { run: false, edit: false })).toEqual([]);
  });
  it("gives a runner the run commands only", () => {
    expect(labels(nodeMenu(node, state, commands(), { run: true, edit: false }))).toEqual(["Rerun this node", "Run from here", "Cancel node"]);
    expect(labels(nodeMenu({ id: "l", flowType: "loop", executable: false }, state, commands(), { run: true, edit: false }))).toEqual(["Run loop"]);
  });
});
