import { describe, expect, it } from "vitest";
import { WORKFLOW_MAX_NODES, looksLikeWorkflow, readWorkflow, workflowFile, workflowFileName } from "./workflowFile";
import type { Graph } from "./types";

const known = (t: string) => ["image.solid_color", "image.resize", "comment"].includes(t);
const graph: Graph = {
  nodes: [
    { id: "c", type: "image.solid_color", position: { x: 0, y: 0 }, params: { color: "#123456" } },
    { id: "r", type: "image.resize", position: { x: 300, y: 0 }, params: { width: 16 } },
  ],
  edges: [{ id: "e1", source: "c", source_handle: "image", target: "r", target_handle: "image" }],
};

describe("workflow files", () => {
  it("round-trips an exported file", () => {
    const text = JSON.stringify(workflowFile("My flow", graph, new Date(0)));
    const read = readWorkflow(text, known);
    expect(read).toEqual({ ok: true, graph, name: "My flow" });
    expect(looksLikeWorkflow(text)).toBe(true);
  });
  it("reads a bare graph document", () => {
    const read = readWorkflow(JSON.stringify(graph), known);
    expect(read.ok && read.graph.nodes.length).toBe(2);
  });
  it("refuses with a reason", () => {
    const reason = (text: string) => {
      const r = readWorkflow(text, known);
      return r.ok ? "" : r.reason;
    };
    expect(reason("not json")).toMatch(/not JSON/);
    expect(reason("[1]")).toMatch(/JSON object/);
    expect(reason('{"format":"comfyui"}')).toMatch(/Unknown workflow format/);
    expect(reason('{"nodes":[],"edges":[]}')).toMatch(/no nodes/);
    expect(reason(JSON.stringify({ nodes: [{ id: "x", type: "image.nope", position: { x: 0, y: 0 } }], edges: [] }))).toMatch(/no node type “image.nope”/);
    expect(reason(JSON.stringify({ nodes: [{ id: "x", type: "comment" }], edges: [] }))).toMatch(/no position/);
    expect(reason(JSON.stringify({ ...graph, edges: [{ source: "c", source_handle: "image", target: "zz", target_handle: "image" }] }))).toMatch(/not in the workflow/);
    const many = { nodes: Array.from({ length: WORKFLOW_MAX_NODES + 1 }, (_, i) => ({ id: `n${i}`, type: "comment", position: { x: 0, y: 0 } })), edges: [] };
    expect(reason(JSON.stringify(many))).toMatch(/at most 500/);
    expect(reason(" ".repeat(2_000_001))).toMatch(/too large/);
  });
  it("tells a workflow from the node clipboard and from plain text", () => {
    expect(looksLikeWorkflow('{"miniaistudio":"nodes","graph":{"nodes":[]}}')).toBe(false);
    expect(looksLikeWorkflow("hello")).toBe(false);
  });
  it("names files portably", () => {
    expect(workflowFileName('a:b/c*"d"')).toBe("a b c d.workflow.json");
    expect(workflowFileName("  ")).toBe("workflow.workflow.json");
  });
});
