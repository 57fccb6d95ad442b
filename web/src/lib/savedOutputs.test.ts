import { describe, expect, it } from "vitest";
import { mergeSavedOutputs } from "./savedOutputs";
import type { NodeRunState } from "./types";

const img = (id: string) => ({ media_id: id, kind: "image", mime: "image/png", width: 64, height: 64, duration: null, url: `/api/v2/media/${id}/download` });

describe("mergeSavedOutputs", () => {
  it("shows every stored output that is still current, also for nodes outside the latest run", () => {
    const states: Record<string, NodeRunState> = { overlay: { status: "succeeded", progress: 1, outputs: { image: img("m2") } } };
    const saved = { nodes: { solid: { outputs: { image: img("m1") } }, overlay: { outputs: { image: img("m2") } } } };
    const changed = mergeSavedOutputs(states, saved, { graphIds: ["solid", "overlay"] });
    expect(changed).toEqual({ solid: { status: "idle", progress: 0, outputs: { image: img("m1") } } });
  });

  it("keeps the stale output of a node missing from the answer, marked outdated, without its Done/Cached status", () => {
    const states: Record<string, NodeRunState> = {
      solid: { status: "cached", progress: 1, outputs: { image: img("m1") } },
      overlay: { status: "succeeded", progress: 1, outputs: { image: img("m2") } },
      broken: { status: "failed", progress: 0.4, error: { code: "NODE_ERROR", message: "boom" }, outputs: null },
    };
    const saved = { nodes: { solid: { outputs: { image: img("m1") } } } };
    const changed = mergeSavedOutputs(states, saved, { graphIds: ["solid", "overlay", "broken"] });
    expect(changed).toEqual({ overlay: { status: "idle", progress: 0, outputs: { image: img("m2") }, outdated: true } });
    // once marked, the same answer changes nothing more; a current answer clears the mark
    expect(mergeSavedOutputs({ ...states, ...changed }, saved, { graphIds: ["overlay"] })).toEqual({});
    expect(mergeSavedOutputs({ ...states, ...changed }, { nodes: { overlay: { outputs: { image: img("m2") } } } }, { graphIds: ["overlay"] }).overlay).toEqual({
      status: "idle",
      progress: 0,
      outputs: { image: img("m2") },
    });
    // a failed node keeps its error (it had nothing to hide)
    expect(changed.broken).toBeUndefined();
  });

  it("replaces an older output by the stored one and keeps the node's status and error", () => {
    const states: Record<string, NodeRunState> = { a: { status: "failed", progress: 1, error: { code: "X", message: "x" }, outputs: { image: img("old") } } };
    const changed = mergeSavedOutputs(states, { nodes: { a: { outputs: { image: img("new") } } } }, { graphIds: ["a"] });
    expect(changed.a).toMatchObject({ status: "failed", error: { code: "X" }, outputs: { image: img("new") } });
  });

  it("gives live run states priority: kept ids and queued/running nodes are untouched", () => {
    const states: Record<string, NodeRunState> = {
      fresh: { status: "succeeded", progress: 1, outputs: { image: img("live") } },
      queued: { status: "queued", progress: 0, outputs: { image: img("prev") } },
      running: { status: "running", progress: 0.5, outputs: null },
    };
    const saved = { nodes: { queued: { outputs: { image: img("stored") } }, running: { outputs: { image: img("stored2") } } } };
    const changed = mergeSavedOutputs(states, saved, { graphIds: ["fresh", "queued", "running"], keep: new Set(["fresh"]) });
    expect(changed).toEqual({});
  });

  it("leaves ids the answer does not speak for (loop copies, removed nodes) alone, and tolerates an empty answer", () => {
    const states: Record<string, NodeRunState> = { "loop1/it1/solid": { status: "succeeded", progress: 1, outputs: { image: img("c") } } };
    expect(mergeSavedOutputs(states, { nodes: {} }, { graphIds: ["solid"] })).toEqual({});
    expect(mergeSavedOutputs({}, null, { graphIds: ["a"] })).toEqual({});
    expect(mergeSavedOutputs({}, { nodes: { a: { outputs: {} } } }, { graphIds: ["a"] })).toEqual({});
  });
});
