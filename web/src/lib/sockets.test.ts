import { describe, expect, it } from "vitest";
import { SOCKET_COLORS, SOCKET_TYPES, canLink, linkProblem } from "./sockets";

describe("linkProblem mirrors core/sockets.py", () => {
  it("allows same types", () => {
    for (const t of SOCKET_TYPES) expect(linkProblem(t, t)).toBeNull();
  });
  it("lets concrete media kinds feed a generic media input", () => {
    expect(canLink("image", "media")).toBe(true);
    expect(canLink("video", "media")).toBe(true);
    expect(canLink("audio", "media")).toBe(true);
  });
  it("refuses a generic media output into a concrete input, with the server's reason", () => {
    expect(linkProblem("media", "image")).toBe("a generic media output may not be image; use a image output");
  });
  it("refuses mismatched types with a readable reason", () => {
    expect(linkProblem("text", "image")).toBe("text output cannot connect to image input");
    expect(canLink("gpu", "media")).toBe(false);
    expect(canLink("text", "media")).toBe(false);
    expect(canLink("image", "video")).toBe(false);
  });
  it("gives every socket type a distinct color", () => {
    const colors = SOCKET_TYPES.map((t) => SOCKET_COLORS[t]);
    expect(new Set(colors).size).toBe(SOCKET_TYPES.length);
  });
});
