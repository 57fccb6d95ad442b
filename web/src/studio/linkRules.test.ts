import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../lib/types";
import { missedDropReason } from "./linkRules";

const adjust = {
  type: "image.adjust",
  title: "Adjust",
  inputs: [{ name: "image", label: "Image", type: "image" }],
  outputs: [{ name: "image", label: "Image", type: "image" }],
} as unknown as NodeSpec;
const catalog = new Map([["image.adjust", adjust]]);

describe("missedDropReason", () => {
  it("says a drop on the empty canvas made no link", () => {
    expect(missedDropReason(catalog, "source", "image", null)).toMatch(/dropped on the empty canvas.*input socket/);
  });

  it("names the sockets of the node that would take the link, or says none would", () => {
    expect(missedDropReason(catalog, "source", "image", { title: "Brighter", nodeType: "image.adjust" })).toContain("socket of Brighter (the dot beside “Image”)");
    expect(missedDropReason(catalog, "source", "audio", { nodeType: "image.adjust" })).toBe("Link not made: Adjust has no input that takes audio.");
  });
});
