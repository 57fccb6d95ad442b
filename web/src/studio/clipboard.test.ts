import { describe, expect, it } from "vitest";
import { clipboardGraph, clipboardText, pasteOffset, selectionWithMembers } from "./clipboard";
import type { Graph } from "../lib/types";

const graph: Graph = {
  nodes: [
    { id: "a", type: "text", position: { x: 100, y: 50 }, params: { text: "hi" } },
    { id: "g", type: "group", position: { x: 40, y: 300 }, params: {} },
    { id: "m", type: "image.adjust", position: { x: 10, y: 10 }, params: {}, parent_id: "g" },
  ],
  edges: [{ id: "e1", source: "a", source_handle: "text", target: "m", target_handle: "prompt" }],
};

describe("clipboard payload", () => {
  it("says where the nodes came from and round-trips the graph", () => {
    const text = clipboardText("s1", graph);
    expect(JSON.parse(text)).toEqual({ miniaistudio: "nodes", from: "s1", graph });
    expect(clipboardGraph(text)).toEqual(graph);
  });
  it("reads nothing from an empty, broken or foreign clipboard", () => {
    expect(clipboardGraph(null)).toBeNull();
    expect(clipboardGraph("{not json")).toBeNull();
    expect(clipboardGraph("42")).toBeNull();
    expect(clipboardGraph(JSON.stringify({ something: "else" }))).toBeNull();
  });
});

describe("selectionWithMembers", () => {
  it("copies a selected group with its members, nested ones too", () => {
    const nodes = [
      { id: "g", selected: true },
      { id: "inner", parentId: "g" },
      { id: "deep", parentId: "inner" },
      { id: "other" },
    ];
    expect([...selectionWithMembers(nodes)].sort()).toEqual(["deep", "g", "inner"]);
  });
  it("copies a selected member alone, and nothing when nothing is selected", () => {
    expect([...selectionWithMembers([{ id: "g" }, { id: "m", parentId: "g", selected: true }])]).toEqual(["m"]);
    expect(selectionWithMembers([{ id: "a" }]).size).toBe(0);
  });
});

describe("pasteOffset", () => {
  it("puts the top-left of the top-level nodes at the target (members move with their group)", () => {
    expect(pasteOffset(graph, { x: 500, y: 500 })).toEqual({ x: 460, y: 450 });
  });
});
