import { describe, expect, it } from "vitest";
import { editPicked, groupByNode, pickedOf, togglePicked, type FieldCandidate } from "./publishFields";

const fields: FieldCandidate[] = [
  { key: "a:text", nodeId: "a", nodeTitle: "Text", label: "Text" },
  { key: "b:size", nodeId: "b", nodeTitle: "Overlay", label: "Size" },
  { key: "a:style", nodeId: "a", nodeTitle: "Text", label: "Style" },
];

describe("publish field picking", () => {
  it("groups candidates by node in first-seen order", () => {
    expect(groupByNode(fields).map(([node, list]) => [node, list.map((c) => c.key)])).toEqual([
      ["a", ["a:text", "a:style"]],
      ["b", ["b:size"]],
    ]);
  });

  it("toggles a pick on and off, making the first text from what is already picked", () => {
    let picked = togglePicked({}, "a:text", () => ({ text: "text", required: true }));
    picked = togglePicked(picked, "b:size", (cur) => ({ text: `size_${Object.keys(cur).length}`, required: false }));
    expect(picked).toEqual({ "a:text": { text: "text", required: true }, "b:size": { text: "size_1", required: false } });
    expect(togglePicked(picked, "a:text", () => ({ text: "x", required: false }))).toEqual({ "b:size": { text: "size_1", required: false } });
  });

  it("edits only picked fields and lists picks in candidate order", () => {
    let picked = togglePicked({}, "a:style", () => ({ text: "style", required: false }));
    picked = togglePicked(picked, "a:text", () => ({ text: "text", required: true }));
    picked = editPicked(picked, "a:style", { required: true });
    expect(editPicked(picked, "b:size", { text: "nope" })).toBe(picked);
    expect(pickedOf(fields, picked).map(([c, p]) => [c.key, p.text, p.required])).toEqual([
      ["a:text", "text", true],
      ["a:style", "style", true],
    ]);
  });
});
