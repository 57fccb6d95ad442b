import { describe, expect, it } from "vitest";
import { controlPosition, placedNodes, planGpuWiring, wirePastedGpu } from "./gpuWire";
import type { NodeSpec } from "./types";

const spec = (type: string, extra: Partial<NodeSpec>): NodeSpec => ({
  type, title: type, category: "x", description: "", gpu: false, executable: true, inputs: [], outputs: [], params_schema: {}, ...extra,
});
const catalog = new Map<string, NodeSpec>([
  ["image.upscale", spec("image.upscale", { gpu: true, inputs: [{ name: "image", type: "image", required: true, label: "Image" }, { name: "gpu", type: "gpu", required: false, label: "Gpu" }] })],
  ["gpu.control", spec("gpu.control", { tags: ["gpu-control"], outputs: [{ name: "gpu", type: "gpu", required: true, label: "Gpu" }] })],
  ["image.adjust", spec("image.adjust", {})],
]);
let n = 0;
const ids = () => `gpu_${++n}`;
const added = { id: "up", type: "image.upscale", position: { x: 600, y: 200 } };

describe("planGpuWiring", () => {
  it("creates the session's GPU Control node when missing and links it to the gpu input", () => {
    const w = planGpuWiring(added, [], [], catalog, ids);
    expect(w?.create).toMatchObject({ type: "gpu.control" });
    expect(w?.create!.position.x).toBeLessThan(added.position.x);
    expect(w?.edge).toEqual({ source: w!.create!.id, sourceHandle: "gpu", target: "up", targetHandle: "gpu" });
  });
  it("reuses the existing control node (one per session), even inside a group", () => {
    const w = planGpuWiring(added, [{ id: "ctl", type: "gpu.control", position: { x: 0, y: 0 }, parentId: "g1" }], [], catalog, ids);
    expect(w?.create).toBeNull();
    expect(w?.edge.source).toBe("ctl");
  });
  it("leaves non-GPU nodes and already linked gpu inputs alone", () => {
    expect(planGpuWiring({ ...added, type: "image.adjust" }, [], [], catalog, ids)).toBeNull();
    expect(planGpuWiring(added, [], [{ target: "up", targetHandle: "gpu" }], catalog, ids)).toBeNull();
    expect(planGpuWiring(added, [], [], new Map([["image.upscale", catalog.get("image.upscale")!]]), ids)).toBeNull();
  });
  it("places the control node where it covers no other top-level node", () => {
    const blocker = { id: "b", type: "image.adjust", position: { x: 240, y: 200 }, width: 280, height: 150 };
    const p = controlPosition(added, [blocker]);
    const overlaps = p.x < blocker.position.x + 300 && p.x + 300 > blocker.position.x && p.y < blocker.position.y + 170 && p.y + 170 > blocker.position.y;
    expect(overlaps).toBe(false);
    expect(controlPosition(added, [])).toEqual({ x: 600 - 280 - 80, y: 200 });
  });
});

describe("wirePastedGpu (paste and duplicate)", () => {
  let k = 0;
  const mk = (p: string) => `${p}_${++k}`;
  const up = (id: string, x = 600) => ({ id, type: "image.upscale", position: { x, y: 200 }, params: {} });
  it("links pasted GPU nodes to the session's control node", () => {
    const r = wirePastedGpu({ nodes: [up("p1"), up("p2", 900)], edges: [] }, [{ id: "ctl", type: "gpu.control", position: { x: 0, y: 0 } }], catalog, mk);
    expect(r.created).toBeNull();
    expect(r.linked).toBe(2);
    expect(r.graph.edges.map((e) => [e.source, e.source_handle, e.target, e.target_handle])).toEqual([
      ["ctl", "gpu", "p1", "gpu"],
      ["ctl", "gpu", "p2", "gpu"],
    ]);
  });
  it("creates one control node for the paste when the session has none", () => {
    const r = wirePastedGpu({ nodes: [up("p1"), up("p2", 900), { id: "adj", type: "image.adjust", position: { x: 0, y: 0 }, params: {} }], edges: [] }, [], catalog, mk);
    expect(r.created).not.toBeNull();
    const controls = r.graph.nodes.filter((n) => n.type === "gpu.control");
    expect(controls.map((n) => n.id)).toEqual([r.created]);
    expect(controls[0].position.x).toBeLessThan(600);
    expect(r.graph.edges.every((e) => e.source === r.created)).toBe(true);
    expect(r.graph.edges).toHaveLength(2);
  });
  it("drops a pasted copy of the control node when the session has one, moving its links", () => {
    const pasted = {
      nodes: [{ id: "ctl2", type: "gpu.control", position: { x: 0, y: 0 }, params: {} }, up("p1")],
      edges: [{ id: "e1", source: "ctl2", source_handle: "gpu", target: "p1", target_handle: "gpu" }],
    };
    const r = wirePastedGpu(pasted, [{ id: "ctl", type: "gpu.control", position: { x: 0, y: 0 } }], catalog, mk);
    expect(r.graph.nodes.map((n) => n.id)).toEqual(["p1"]);
    expect(r.graph.edges).toEqual([{ id: "e1", source: "ctl", source_handle: "gpu", target: "p1", target_handle: "gpu" }]);
    expect(r.linked).toBe(0);
  });
  it("changes nothing for non-GPU nodes", () => {
    const pasted = { nodes: [{ id: "adj", type: "image.adjust", position: { x: 0, y: 0 }, params: {} }], edges: [] };
    expect(wirePastedGpu(pasted, [], catalog, mk)).toEqual({ graph: pasted, created: null, linked: 0 });
  });
});

describe("placedNodes", () => {
  it("prefers measured sizes and keeps group membership", () => {
    const flow = [
      { id: "a", type: "studio", position: { x: 1, y: 2 }, data: { nodeType: "image.adjust", params: {}, title: null, notes: null, ui: {} }, width: 100, measured: { width: 280, height: 150 }, parentId: "g" },
    ];
    expect(placedNodes(flow)).toEqual([{ id: "a", type: "image.adjust", position: { x: 1, y: 2 }, parentId: "g", width: 280, height: 150 }]);
  });
});
