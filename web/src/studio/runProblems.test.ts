import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/api";
import { runProblems } from "./runProblems";

describe("runProblems", () => {
  it("lists the messages of a refused run", () => {
    const e = new ApiError(422, "GRAPH_INVALID", "invalid", { errors: [{ message: "Input image is required" }, { message: "Cycle" }] });
    expect(runProblems(e)).toEqual(["Input image is required", "Cycle"]);
  });
  it("is empty for other errors", () => {
    expect(runProblems(new ApiError(500, "INTERNAL", "boom"))).toEqual([]);
    expect(runProblems(new Error("offline"))).toEqual([]);
  });
});
