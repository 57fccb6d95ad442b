import { describe, expect, it } from "vitest";
import { byteSize, kindLabel, missingModel } from "./modelKinds";

describe("model kinds", () => {
  it("says a node needs a model only when none of its kinds is installed", () => {
    expect(missingModel({ model_kinds: ["inpaint", "text_to_image"] }, new Set(["lora"]))).toBe(
      "No inpaint or text to image model is installed: this node cannot run until an admin adds one (Models page)",
    );
    expect(missingModel({ model_kinds: ["inpaint", "text_to_image"] }, new Set(["text_to_image"]))).toBeNull();
    expect(missingModel({ model_kinds: [] }, new Set())).toBeNull();
    expect(missingModel({ model_kinds: ["depth"] }, null)).toBeNull();
  });
  it("formats kinds and sizes", () => {
    expect(kindLabel("image_to_video")).toBe("image to video");
    expect(byteSize(512)).toBe("512 B");
    expect(byteSize(3 * 1024 ** 2)).toBe("3.0 MB");
    expect(byteSize(5 * 1024 ** 3)).toBe("5.00 GB");
  });
});
