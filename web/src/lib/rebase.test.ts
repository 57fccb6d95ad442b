import { describe, expect, it } from "vitest";
import { rebaseEdits } from "./rebase";
import type { Graph, GraphNode } from "./types";

const n = (id: string, params: Record<string, unknown> = {}, x = 0, title: string | null = null): GraphNode => ({
  id,
  type: `image.${id}`,
  position: { x, y: 0 },
  params,
  title,
});
const e = (source: string, target: string) => ({ id: `${source}-${target}`, source, source_handle: "image", target, target_handle: "image" });

describe("rebaseEdits", () => {
  const base: Graph = { nodes: [n("c", { color: "#000" }), n("r", { width: 16 }, 200, "Resize")], edges: [e("c", "r")] };

  it("re-applies only this tab's own changes on top of the other version", () => {
    const mine: Graph = { nodes: [n("c", { color: "#000" }), n("r", { width: 32 }, 260, "Resize")], edges: [e("c", "r")] };
    const theirs: Graph = { nodes: [n("c", { color: "#f00" }), n("r", { width: 16, height: 9 }, 200, "Resize"), n("b")], edges: [e("c", "r")] };
    const out = rebaseEdits(base, mine, theirs);
    const byId = Object.fromEntries(out.graph.nodes.map((x) => [x.id, x]));
    expect(byId.c.params.color).toBe("#f00"); // their edit stays
    expect(byId.r.params).toEqual({ width: 32, height: 9 }); // mine on top of theirs
    expect(byId.r.position.x).toBe(260);
    expect(byId.b).toBeDefined(); // their new node stays, once
    expect(out.graph.nodes).toHaveLength(3);
    expect(out.applied).toEqual(["Resize: width", "moved Resize"]);
    expect(out.dropped).toEqual([]);
  });

  it("adds and deletes nodes and links, and says when a node it changed is gone", () => {
    const mine: Graph = { nodes: [n("c", { color: "#111" }), n("blur", {}, 400)], edges: [e("c", "blur")] };
    const theirs: Graph = { nodes: [n("r", { width: 16 }, 200, "Resize")], edges: [] };
    const out = rebaseEdits(base, mine, theirs);
    expect(out.graph.nodes.map((x) => x.id).sort()).toEqual(["blur"]);
    expect(out.applied).toContain("added blur");
    expect(out.applied).toContain("deleted Resize");
    expect(out.dropped[0]).toMatch(/c was deleted in the other version/);
    expect(out.graph.edges).toEqual([]);
  });

  it("a link added here replaces theirs into the same input", () => {
    const b2: Graph = { nodes: [n("c"), n("d"), n("r")], edges: [] };
    const mine: Graph = { ...b2, edges: [e("d", "r")] };
    const theirs: Graph = { ...b2, edges: [e("c", "r")] };
    const out = rebaseEdits(b2, mine, theirs);
    expect(out.graph.edges.map((x) => x.source)).toEqual(["d"]);
    expect(out.applied).toEqual(["1 link added"]);
  });

  it("re-applies nothing when nothing changed here", () => {
    const theirs: Graph = { nodes: [n("c", { color: "#f00" })], edges: [] };
    const out = rebaseEdits(base, base, theirs);
    expect(out.applied).toEqual([]);
    expect(out.graph).toEqual({ nodes: theirs.nodes, edges: [] });
  });
});
