import { describe, expect, it } from "vitest";
import { inputKeys, outdatedBy } from "./outdated";

const links = [
  { source: "a", sourceHandle: "image", target: "b", targetHandle: "image" },
  { source: "b", sourceHandle: "image", target: "c", targetHandle: "image" },
];

describe("outdatedBy", () => {
  it("marks a node whose parameters changed and everything downstream", () => {
    const before = inputKeys([{ id: "a", params: { color: "#000" } }, { id: "b", params: {} }, { id: "c", params: {} }, { id: "x", params: {} }], links);
    const after = inputKeys([{ id: "a", params: { color: "#fff" } }, { id: "b", params: {} }, { id: "c", params: {} }, { id: "x", params: {} }], links);
    expect([...outdatedBy(before, after, links)].sort()).toEqual(["a", "b", "c"]);
  });

  it("marks the target of a new or removed link, not its source; positions and new nodes do not count", () => {
    const nodes = [{ id: "a", params: {} }, { id: "b", params: {} }, { id: "c", params: {} }];
    const before = inputKeys(nodes, links.slice(0, 1));
    const after = inputKeys([...nodes, { id: "d", params: {} }], links);
    expect([...outdatedBy(before, after, links)]).toEqual(["c"]);
    expect(outdatedBy(after, inputKeys([...nodes, { id: "d", params: {} }], links), links).size).toBe(0);
  });
});
