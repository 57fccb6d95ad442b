import { describe, expect, it } from "vitest";
import { UndoStack } from "./history";

describe("UndoStack", () => {
  it("undoes and redoes in order", () => {
    const h = new UndoStack<number>();
    h.push(0);
    h.push(1);
    expect(h.undo(2)).toBe(1);
    expect(h.undo(1)).toBe(0);
    expect(h.undo(0)).toBeNull();
    expect(h.redo(0)).toBe(1);
    expect(h.redo(1)).toBe(2);
    expect(h.redo(2)).toBeNull();
  });
  it("drops the redo branch on a new change", () => {
    const h = new UndoStack<string>();
    h.push("a");
    expect(h.undo("b")).toBe("a");
    expect(h.canRedo).toBe(true);
    h.push("a");
    expect(h.canRedo).toBe(false);
  });
  it("coalesces rapid pushes with the same key", () => {
    const h = new UndoStack<string>({ coalesceMs: 500 });
    h.push("v0", "param:n1:text", 1000);
    h.push("v1", "param:n1:text", 1200);
    h.push("v2", "param:n1:text", 1400);
    expect(h.undo("v3")).toBe("v0");
    expect(h.canUndo).toBe(false);
  });
  it("does not coalesce different keys or slow edits", () => {
    const h = new UndoStack<string>({ coalesceMs: 500 });
    h.push("a", "k1", 0);
    h.push("b", "k2", 10);
    h.push("c", "k2", 2000);
    expect(h.undo("d")).toBe("c");
    expect(h.undo("c")).toBe("b");
    expect(h.undo("b")).toBe("a");
  });
  it("keeps at most `limit` steps", () => {
    const h = new UndoStack<number>({ limit: 3 });
    for (let i = 0; i < 10; i++) h.push(i);
    expect(h.undo(10)).toBe(9);
    expect(h.undo(9)).toBe(8);
    expect(h.undo(8)).toBe(7);
    expect(h.undo(7)).toBeNull();
  });
});
