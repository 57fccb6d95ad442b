import { describe, expect, it } from "vitest";
import { SOCKET_COLORS, SOCKET_TYPES, canLink, linkFedParams, linkProblem } from "./sockets";

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

describe("linkFedParams: parameters whose value comes from a linked input", () => {
  const overlay = [{ name: "text_input", description: "When linked, replaces the 'text' setting" }, { name: "image" }];
  const params = ["text", "font", "size", "color", "position"];
  it("pairs a socket with the parameter named like it minus _input/_text, only while linked", () => {
    expect(linkFedParams(overlay, params, new Set(["text_input", "image"]))).toEqual(new Map([["text", "text_input"]]));
    expect(linkFedParams(overlay, params, new Set(["image"])).size).toBe(0);
    expect(linkFedParams([{ name: "prompt_text" }], ["prompt", "negative_prompt", "seed"], new Set(["prompt_text"]))).toEqual(new Map([["prompt", "prompt_text"]]));
    expect(linkFedParams([{ name: "lyrics" }], ["style", "lyrics_text"], new Set(["lyrics"]))).toEqual(new Map([["lyrics_text", "lyrics"]]));
  });
  it("also follows a description that says the socket replaces a parameter, as a whole word", () => {
    const edit = [{ name: "prompt_text", description: "when linked, replaces the instruction parameter" }];
    expect(linkFedParams(edit, ["instruction", "negative_prompt"], new Set(["prompt_text"]))).toEqual(new Map([["instruction", "prompt_text"]]));
    const added = [{ name: "prompt", description: "Added to the style notes (e.g. from Text Refiner)" }];
    expect(linkFedParams(added, ["style", "mood"], new Set(["prompt"])).size).toBe(0);
  });
});
