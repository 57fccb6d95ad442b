import { describe, expect, it } from "vitest";
import { RunStore } from "./runStore";

describe("RunStore applies the SSE stream", () => {
  it("tracks a run from start to finish, keeping cached outputs", () => {
    const s = new RunStore();
    const out = { image: { media_id: "m1", kind: "image", url: "/api/v2/media/m1/download" } };
    s.apply({ type: "snapshot", run: { run_id: "r0", status: "succeeded", nodes: { a: { status: "succeeded", outputs: out } } } });
    expect(s.node("a").outputs).toEqual(out);
    s.apply({ type: "run.started", run_id: "r1", mode: "node", nodes: { a: "cached", b: "queued" } });
    expect(s.node("a")).toMatchObject({ status: "cached", progress: 1, outputs: out });
    expect(s.running).toBe(true);
    s.apply({ type: "node.progress", run_id: "r1", node_id: "b", progress: 0.5 });
    expect(s.node("b")).toMatchObject({ status: "running", progress: 0.5 });
    s.apply({ type: "node.status", run_id: "r1", node_id: "b", status: "failed", progress: 0.5, error: { code: "NODE_ERROR", message: "boom" } });
    expect(s.node("b").error?.code).toBe("NODE_ERROR");
    s.apply({ type: "run.finished", run_id: "r1", status: "failed", error: { code: "NODE_ERROR", message: "boom" } });
    expect(s.running).toBe(false);
    expect(s.run().status).toBe("failed");
  });
  it("notifies only the subscribers of the changed node", () => {
    const s = new RunStore();
    let a = 0;
    let b = 0;
    s.subscribeNode("a", () => a++);
    s.subscribeNode("b", () => b++);
    s.apply({ type: "node.progress", run_id: "r", node_id: "a", progress: 0.1 });
    expect([a, b]).toEqual([1, 0]);
    expect(s.node("zzz").status).toBe("idle");
  });
});

describe("RunStore merges the stored outputs (GET /session/outputs)", () => {
  const img = (id: string) => ({ media_id: id, kind: "image", url: `/api/v2/media/${id}/download` });
  it("on open: fills nodes outside the latest run and marks stale outputs of the latest run outdated", () => {
    const s = new RunStore();
    s.apply({ type: "snapshot", run: { run_id: "r1", status: "succeeded", nodes: { b: { status: "succeeded", outputs: { image: img("b1") } } } } });
    s.applySaved({ nodes: { a: { outputs: { image: img("a1") } } } }, ["a", "b"]);
    expect(s.node("a").outputs).toEqual({ image: img("a1") });
    expect(s.node("b")).toMatchObject({ status: "idle", outputs: { image: img("b1") }, outdated: true });
  });
  it("marks outputs outdated on an edit, and a new run's state clears the mark", () => {
    const s = new RunStore();
    s.apply({ type: "snapshot", run: { run_id: "r1", status: "succeeded", nodes: { b: { status: "succeeded", outputs: { image: img("b1") } } } } });
    s.markOutdated(["b", "unknown"]);
    expect(s.node("b")).toMatchObject({ status: "idle", outputs: { image: img("b1") }, outdated: true });
    s.apply({ type: "run.started", run_id: "r2", mode: "full", nodes: { b: "queued" } });
    expect(s.node("b").outdated).toBeUndefined();
  });
  it("during a run and right after it, the run's own nodes keep their live state", () => {
    const s = new RunStore();
    s.apply({ type: "run.started", run_id: "r2", mode: "node", nodes: { b: "queued" } });
    s.apply({ type: "node.status", run_id: "r2", node_id: "b", status: "succeeded", outputs: { image: img("b2") } });
    s.applySaved({ nodes: { a: { outputs: { image: img("a1") } } } }, ["a", "b"]);
    expect(s.node("b").outputs).toEqual({ image: img("b2") });
    expect(s.node("a").outputs).toEqual({ image: img("a1") });
    s.apply({ type: "run.finished", run_id: "r2", status: "succeeded" });
    s.applySaved({ nodes: {} }, ["a", "b"], true); // b is uncacheable: its fresh output stays
    expect(s.node("b")).toMatchObject({ status: "succeeded", outputs: { image: img("b2") } });
    expect(s.node("a")).toMatchObject({ outputs: { image: img("a1") }, outdated: true });
  });
});

describe("RunStore applies stops and finish events", () => {
  it("marks every node of nodes.canceled as canceled, keeping its outputs", () => {
    const s = new RunStore();
    const out = { text: "hi" };
    s.apply({ type: "run.started", run_id: "r", mode: "full", nodes: { a: "queued", b: "queued", c: "cached" } });
    s.apply({ type: "node.status", run_id: "r", node_id: "c", status: "cached", outputs: out });
    const error = { code: "CANCELED", message: "run stopped" };
    s.apply({ type: "nodes.canceled", run_id: "r", node_ids: ["a", "b"], error });
    expect(s.node("a")).toMatchObject({ status: "canceled", error });
    expect(s.node("b")).toMatchObject({ status: "canceled", error });
    expect(s.node("c")).toMatchObject({ status: "cached", outputs: out });
  });
  it("takes the loops section from run.finished", () => {
    const s = new RunStore();
    let any = 0;
    s.subscribeAny(() => any++);
    const loops = { L: [{ iteration_id: "red", label: "Red", nodes: { a: { status: "succeeded" as const, outputs: { text: "x" } } } }] };
    s.apply({ type: "run.finished", run_id: "r", status: "succeeded", loops: loops as never });
    expect(s.loops()).toEqual(loops);
    expect(any).toBe(1);
    expect(s.run().status).toBe("succeeded");
  });
});

describe("RunStore previews one loop iteration", () => {
  it("shows the iteration's states on the group's nodes until cleared or a run starts", () => {
    const s = new RunStore();
    const own = { text: "own" };
    s.apply({ type: "snapshot", run: { run_id: "r0", status: "succeeded", nodes: { t: { status: "succeeded", outputs: own }, x: { status: "succeeded" } } } });
    let notified = 0;
    s.subscribeNode("t", () => notified++);
    s.setPreview({ loopId: "L", iterationId: "v2", label: "Blue", states: { t: { status: "succeeded", progress: 1, outputs: { text: "blue" } } } });
    expect(notified).toBe(1);
    expect(s.node("t")).toMatchObject({ outputs: { text: "blue" }, previewOf: "Blue", outdated: false });
    expect(s.node("t")).toBe(s.node("t")); // a stable snapshot for useSyncExternalStore
    expect(s.node("x").previewOf).toBeUndefined(); // not a member: its own state
    s.setPreview(null);
    expect(s.node("t")).toMatchObject({ outputs: own });
    expect(s.node("t").previewOf).toBeUndefined();
    s.setPreview({ loopId: "L", iterationId: "v1", label: "Red", states: { t: null } });
    expect(s.node("t")).toMatchObject({ status: "idle", previewOf: "Red" });
    s.apply({ type: "run.started", run_id: "r1", mode: "full", nodes: { t: "queued" } });
    expect(s.preview()).toBeNull();
    expect(s.node("t").status).toBe("queued");
  });
});
