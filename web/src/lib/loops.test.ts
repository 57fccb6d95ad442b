import { describe, expect, it } from "vitest";
import {
  copyId,
  editIterations,
  groupMembers,
  loopGrid,
  nextIterationId,
  overrideCount,
  parseValueList,
  readLoop,
  resultMembers,
  seedValues,
  strayOverrides,
  type LoopIteration,
} from "./loops";
import type { NodeRunState } from "./types";

const base: LoopIteration[] = [
  { id: "v1", label: "Red", enabled: true, overrides: { bg: { color: "#ff0000" } } },
  { id: "v2", label: "", enabled: true, overrides: {} },
];

describe("readLoop", () => {
  it("tolerates missing and partial params", () => {
    expect(readLoop({})).toEqual({ group_id: "", iterations: [] });
    expect(readLoop({ group_id: "g", iterations: [{ id: "a" }, { label: "no id" }] }).iterations).toEqual([{ id: "a", label: "", enabled: true, overrides: {} }]);
  });
});

describe("editIterations", () => {
  it("adds iterations with fresh ids past the highest one", () => {
    const out = editIterations(base, { type: "add" });
    expect(out).toHaveLength(3);
    expect(out[2]).toMatchObject({ id: "v3", enabled: true, overrides: {} });
    expect(nextIterationId([{ id: "v9", label: "", enabled: true, overrides: {} }, { id: "x", label: "", enabled: true, overrides: {} }])).toBe("v10");
  });
  it("duplicates right after the source, deep-copying its overrides", () => {
    const out = editIterations(base, { type: "duplicate", id: "v1" });
    expect(out.map((i) => i.id)).toEqual(["v1", "v3", "v2"]);
    expect(out[1].label).toBe("Red copy");
    expect(out[1].overrides).toEqual(base[0].overrides);
    expect(out[1].overrides.bg).not.toBe(base[0].overrides.bg);
  });
  it("renames, disables, moves and deletes without mutating the input", () => {
    const before = structuredClone(base);
    let out = editIterations(base, { type: "rename", id: "v2", label: "Blue" });
    out = editIterations(out, { type: "toggle", id: "v1", enabled: false });
    out = editIterations(out, { type: "move", id: "v2", by: -1 });
    expect(out.map((i) => [i.id, i.label, i.enabled])).toEqual([["v2", "Blue", true], ["v1", "Red", false]]);
    expect(editIterations(out, { type: "remove", id: "v1" }).map((i) => i.id)).toEqual(["v2"]);
    expect(base).toEqual(before);
  });
  it("keeps overrides per node: one node's field never leaks into another", () => {
    let out = editIterations(base, { type: "setOverride", id: "v1", nodeId: "adj", field: "brightness", value: 1.5 });
    out = editIterations(out, { type: "setOverride", id: "v1", nodeId: "bg", field: "width", value: 64 });
    expect(out[0].overrides).toEqual({ bg: { color: "#ff0000", width: 64 }, adj: { brightness: 1.5 } });
    expect(out[1].overrides).toEqual({});
    expect(overrideCount(out[0])).toBe(3);
  });
  it("drops a node's entry when its last override is cleared", () => {
    const out = editIterations(base, { type: "clearOverride", id: "v1", nodeId: "bg", field: "color" });
    expect(out[0].overrides).toEqual({});
    expect(overrideCount(out[0])).toBe(0);
  });
  it("creates one labelled iteration per value", () => {
    const out = editIterations([], { type: "variants", nodeId: "t", field: "language", values: ["fr", "de"], labels: ["French", "German"] });
    expect(out).toEqual([
      { id: "v1", label: "French", enabled: true, overrides: { t: { language: "fr" } } },
      { id: "v2", label: "German", enabled: true, overrides: { t: { language: "de" } } },
    ]);
  });
  it("prunes overrides of nodes that left the group", () => {
    const list = editIterations(base, { type: "setOverride", id: "v2", nodeId: "gone", field: "x", value: 1 });
    expect(strayOverrides(list, ["bg"])).toEqual(["gone"]);
    expect(strayOverrides(editIterations(list, { type: "prune", memberIds: ["bg"] }), ["bg"])).toEqual([]);
  });
});

describe("quick axes", () => {
  it("makes distinct seeds within bounds", () => {
    const seeds = seedValues({ min: 0, max: 4294967295 }, 6, () => 0.5);
    expect(new Set(seeds).size).toBe(6);
    for (const s of seeds) expect(s >= 0 && s <= 4294967295 && Number.isInteger(s)).toBe(true);
    const tiny = seedValues({ min: 0, max: 3 }, 4, () => 0.99);
    expect(new Set(tiny).size).toBe(4);
  });
  it("parses comma lists by field kind, one per line for text with commas", () => {
    expect(parseValueList("1, 2.5, x", { kind: "slider", integer: false, min: 0, max: 4 })).toEqual({ values: [1, 2.5], errors: ["x is not a number"] });
    expect(parseValueList("3,9", { kind: "number", integer: true, min: 0, max: 5 }).errors).toEqual(["9 is outside 0…5"]);
    expect(parseValueList("on, off", { kind: "checkbox", integer: false }).values).toEqual([true, false]);
    expect(parseValueList("2, 3", { kind: "select", integer: true, options: [2, 4] })).toEqual({ values: [2], errors: ["3 is not one of 2, 4"] });
    expect(parseValueList("a cat, at dawn\na dog, at noon\n", { kind: "textarea", integer: false }).values).toEqual(["a cat, at dawn", "a dog, at noon"]);
  });
});

describe("group members and the loop grid", () => {
  const nodes = [
    { id: "g", type: "group" },
    { id: "inner", type: "group", parentId: "g" },
    { id: "bg", type: "image.solid_color", parentId: "g" },
    { id: "adj", type: "image.adjust", parentId: "inner" },
    { id: "note", type: "comment", parentId: "g" },
    { id: "out", type: "image.resize" },
  ];
  it("collects members through nested groups, skipping annotations", () => {
    expect(groupMembers(nodes, "g").map((n) => n.id).sort()).toEqual(["adj", "bg"]);
  });
  it("shows the members no other member consumes", () => {
    expect(resultMembers(["bg", "adj"], [{ source: "bg", target: "adj" }, { source: "adj", target: "out" }])).toEqual(["adj"]);
  });
  it("labels rows by iteration, prefers live copy states and falls back to the run's loops section", () => {
    const done = (url: string): NodeRunState => ({ status: "succeeded", progress: 1, outputs: { image: { media_id: url, kind: "image", url } } });
    const live: Record<string, NodeRunState> = { [copyId("adj", "v1")]: done("live-1") };
    const loop = { group_id: "g", iterations: [...base, { id: "v3", label: "Off", enabled: false, overrides: {} }] };
    const rows = loopGrid("L", loop, ["adj"], (id) => live[id], { L: [{ iteration_id: "v2", label: "v2", nodes: { adj: done("past-2") } }] });
    expect(rows.map((r) => [r.label, r.enabled])).toEqual([["Red", true], ["Iteration 2", true], ["Off", false]]);
    expect(rows[0].cells[0].state?.outputs?.image).toMatchObject({ url: "live-1" });
    expect(rows[1].cells[0].state?.outputs?.image).toMatchObject({ url: "past-2" });
    expect(rows[2].cells[0].state).toBeNull();
  });
});
