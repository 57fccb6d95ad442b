import { describe, expect, it } from "vitest";
import { docKey, docToFlow, flowToDoc, remapForPaste, wouldCycle } from "./graphDoc";
import type { Graph } from "./types";

const graph: Graph = {
  nodes: [
    { id: "n2", type: "image.adjust", position: { x: 40, y: 30 }, params: { brightness: 1.2 }, parent_id: "g1",
      title: "Brighter", notes: null, width: null, height: null, ui: {}, mode: "bypass" },
    { id: "g1", type: "group", position: { x: 100, y: 100 }, params: { label: "Branch" }, width: 400, height: 300,
      title: null, notes: null, parent_id: null, ui: {}, mode: "normal" },
    { id: "n1", type: "image.solid_color", position: { x: -200, y: 0 }, params: {}, title: null, notes: "base",
      width: null, height: null, parent_id: null, ui: { collapsed: false }, mode: "mute" },
    { id: "c1", type: "comment", position: { x: 0, y: -200 }, params: { text: "hi" }, width: 240, height: 120,
      title: null, notes: null, parent_id: null, ui: {}, mode: "normal" },
  ],
  edges: [{ id: "e1", source: "n1", source_handle: "image", target: "n2", target_handle: "image" }],
};

describe("graph document <-> React Flow", () => {
  it("puts parents before children and picks the component type", () => {
    const { nodes } = docToFlow(graph);
    const ids = nodes.map((n) => n.id);
    expect(ids.indexOf("g1")).toBeLessThan(ids.indexOf("n2"));
    expect(nodes.find((n) => n.id === "g1")?.type).toBe("frame");
    expect(nodes.find((n) => n.id === "c1")?.type).toBe("comment");
    expect(nodes.find((n) => n.id === "n1")?.type).toBe("studio");
    expect(nodes.find((n) => n.id === "n2")?.parentId).toBe("g1");
  });
  it("keeps a node's mode on the canvas node and back (normal is left implicit on the canvas)", () => {
    const { nodes } = docToFlow(graph);
    expect(nodes.find((n) => n.id === "n2")?.data.mode).toBe("bypass");
    expect(nodes.find((n) => n.id === "n1")?.data.mode).toBe("mute");
    expect(nodes.find((n) => n.id === "g1")?.data.mode).toBeUndefined();
  });
  it("round-trips the document", () => {
    const { nodes, edges } = docToFlow(graph);
    const back = flowToDoc(nodes, edges);
    const sort = (g: Graph) => ({ ...g, nodes: [...g.nodes].sort((a, b) => a.id.localeCompare(b.id)) });
    expect(sort(back)).toEqual(sort(graph));
  });
  it("ignores selection and measurement in the change key", () => {
    const { nodes, edges } = docToFlow(graph);
    const before = docKey(flowToDoc(nodes, edges));
    const touched = nodes.map((n) => ({ ...n, selected: true, measured: { width: 10, height: 10 } }));
    expect(docKey(flowToDoc(touched, edges))).toBe(before);
  });
  it("drops edges to missing nodes and unknown parents", () => {
    const broken: Graph = {
      nodes: [{ id: "a", type: "text", position: { x: 0, y: 0 }, params: {}, parent_id: "nope" }],
      edges: [{ id: "e", source: "a", source_handle: "text", target: "zz", target_handle: "text" }],
    };
    const { nodes, edges } = docToFlow(broken);
    expect(nodes[0].parentId).toBeUndefined();
    expect(edges).toEqual([]);
  });
});

describe("paste", () => {
  it("gives fresh ids, keeps inner edges and parents, and offsets top-level nodes", () => {
    const clip: Graph = { nodes: graph.nodes.filter((n) => n.id !== "c1"), edges: graph.edges };
    const pasted = remapForPaste(clip, { x: 20, y: 20 });
    const oldIds = new Set(graph.nodes.map((n) => n.id));
    for (const n of pasted.nodes) {
      expect(oldIds.has(n.id)).toBe(false);
      expect(n.id).toMatch(/^[A-Za-z0-9_.:-]+$/);
    }
    const group = pasted.nodes.find((n) => n.type === "group")!;
    const child = pasted.nodes.find((n) => n.type === "image.adjust")!;
    expect(child.parent_id).toBe(group.id);
    expect(child.position).toEqual({ x: 40, y: 30 });
    expect(group.position).toEqual({ x: 120, y: 120 });
    expect(pasted.edges).toHaveLength(1);
    expect(pasted.edges[0].target).toBe(child.id);
  });
  it("drops edges and parents that point outside the copied set", () => {
    const clip: Graph = { nodes: [graph.nodes[0]], edges: graph.edges };
    const pasted = remapForPaste(clip, { x: 0, y: 0 });
    expect(pasted.edges).toEqual([]);
    expect(pasted.nodes[0].parent_id).toBeNull();
  });
});

describe("wouldCycle", () => {
  it("detects cycles and self links", () => {
    const edges = [{ source: "a", target: "b" }, { source: "b", target: "c" }];
    expect(wouldCycle(edges, "c", "a")).toBe(true);
    expect(wouldCycle(edges, "a", "a")).toBe(true);
    expect(wouldCycle(edges, "a", "c")).toBe(false);
  });
});
