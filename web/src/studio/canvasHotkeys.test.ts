import { describe, expect, it } from "vitest";
import { canvasCommand, isTyping, takesOverKey, type KeyPress } from "./canvasHotkeys";

const press = (key: string, mods: Partial<Omit<KeyPress, "key">> = {}): KeyPress => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });

describe("canvasCommand", () => {
  it("maps Ctrl and ⌘ shortcuts alike", () => {
    const cases: [string, Partial<KeyPress>, string][] = [
      ["z", {}, "undo"],
      ["Z", { shiftKey: true }, "redo"],
      ["y", {}, "redo"],
      ["c", {}, "copy"],
      ["v", {}, "paste"],
      ["d", {}, "duplicate"],
      ["g", {}, "groupSelection"],
      ["b", {}, "toggleBypass"],
      ["m", {}, "toggleMute"],
      ["a", {}, "selectAll"],
      ["Enter", {}, "runAll"],
    ];
    for (const [key, mods, command] of cases) {
      expect(canvasCommand(press(key, { ctrlKey: true, ...mods }), 0)).toBe(command);
      expect(canvasCommand(press(key, { metaKey: true, ...mods }), 0)).toBe(command);
    }
  });
  it("reruns with Shift+R only when exactly one node is selected", () => {
    expect(canvasCommand(press("R", { shiftKey: true }), 1)).toBe("rerunSelected");
    expect(canvasCommand(press("R", { shiftKey: true }), 0)).toBeNull();
    expect(canvasCommand(press("R", { shiftKey: true }), 2)).toBeNull();
    expect(canvasCommand(press("r"), 1)).toBeNull();
  });
  it("fits the view on F but leaves Ctrl+F to the browser", () => {
    expect(canvasCommand(press("f"), 0)).toBe("fitView");
    expect(canvasCommand(press("f", { ctrlKey: true }), 0)).toBeNull();
  });
  it("shows help on ? and closes menus on Escape, without taking over Escape", () => {
    expect(canvasCommand(press("?", { shiftKey: true }), 0)).toBe("showHelp");
    expect(canvasCommand(press("Escape"), 0)).toBe("closeMenus");
    expect(takesOverKey("closeMenus")).toBe(false);
    expect(takesOverKey("copy")).toBe(true);
    expect(takesOverKey("paste")).toBe(false); // the paste event may carry a workflow JSON
  });
  it("leaves plain letters and unbound keys alone", () => {
    for (const key of ["a", "c", "z", "Enter", "Delete", "x"]) expect(canvasCommand(press(key), 1)).toBeNull();
  });
});

describe("isTyping", () => {
  it("is true in form fields and editable text only", () => {
    expect(isTyping(null)).toBe(false);
    expect(isTyping({ tagName: "INPUT", isContentEditable: false } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: "TEXTAREA", isContentEditable: false } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: "DIV", isContentEditable: true } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: "DIV", isContentEditable: false } as unknown as EventTarget)).toBe(false);
  });
});
