import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../lib/types";
import { searchSpecs } from "./nodeSearch";

const spec = (type: string, title: string, description: string, tags: string[] = [], category = "Image"): NodeSpec => ({
  type, title, description, tags, category, gpu: false, executable: true, inputs: [], outputs: [], params_schema: {},
});

const SPECS = [
  spec("image.solid_color", "Solid Color", "A flat colour image, e.g. a background for compositing"),
  spec("audio.music", "Music Generator", "Compose music from style notes", ["music", "song"], "Audio"),
  spec("image.remove_background", "Remove Background", "Cut out the subject", ["matting"]),
  spec("vision.pose", "Pose Extractor", "Body keypoints as a skeleton image", ["openpose"]),
  spec("image.background_blur", "Blur Background", "Soft background behind the subject"),
  spec("video.trim", "Trim", "Cut a video to a time range"),
];

const titles = (q: string) => searchSpecs(SPECS, q).map((s) => s.title);

describe("searchSpecs", () => {
  it("ranks title matches above description matches", () => {
    expect(titles("background")).toEqual(["Blur Background", "Remove Background", "Solid Color"]);
    expect(titles("pose")[0]).toBe("Pose Extractor");
    expect(titles("pose")).toContain("Music Generator"); // "compose" still matches, last
  });
  it("puts an exact title first, then title prefixes", () => {
    expect(titles("trim")[0]).toBe("Trim");
    expect(titles("remove b")[0]).toBe("Remove Background");
  });
  it("ranks tags above descriptions and needs every word", () => {
    expect(titles("song")).toEqual(["Music Generator"]);
    expect(titles("cut subject")).toEqual(["Remove Background"]);
    expect(titles("nothing like this")).toEqual([]);
  });
  it("keeps the given order for an empty query", () => {
    expect(searchSpecs(SPECS, "  ")).toBe(SPECS);
  });
});
