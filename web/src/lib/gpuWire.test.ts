import { describe, expect, it } from "vitest";
import { controlPosition, planGpuWiring } from "./gpuWire";
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
