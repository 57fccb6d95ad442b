import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/api";
import { canRunTheRest, problemNodeIds, runProblems } from "./runProblems";

describe("runProblems", () => {
  it("lists the problems of a refused run with their nodes", () => {
    const e = new ApiError(422, "GRAPH_INVALID", "invalid", {
      errors: [{ message: "Input image is required", code: "MISSING_INPUT", node_id: "a" }, { message: "Cycle", code: "CYCLE" }],
    });
    expect(runProblems(e)).toEqual([{ message: "Input image is required", code: "MISSING_INPUT", nodeId: "a" }, { message: "Cycle", code: "CYCLE", nodeId: undefined }]);
    expect(problemNodeIds(runProblems(e))).toEqual(["a"]);
  });
  it("is empty for other errors", () => {
    expect(runProblems(new ApiError(500, "INTERNAL", "boom"))).toEqual([]);
    expect(runProblems(new Error("offline"))).toEqual([]);
  });
  it("offers to run the rest only when every problem is an unconnected input", () => {
    expect(canRunTheRest([{ message: "x", code: "MISSING_INPUT", nodeId: "a" }, { message: "y", code: "MISSING_INPUT", nodeId: "b" }])).toBe(true);
    expect(canRunTheRest([{ message: "x", code: "MISSING_INPUT", nodeId: "a" }, { message: "bad width", code: "INVALID_PARAMETER", nodeId: "b" }])).toBe(false);
    expect(canRunTheRest([])).toBe(false);
  });
});
