import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../lib/types";
import { fileKind, filesByKind, readDraggedMedia, uploadTypeFor } from "./mediaDrop";

const spec = (type: string, out: string, upload = true) =>
  ({ type, outputs: [{ name: "out", type: out }], inputs: [], params_schema: { properties: upload ? { media_ids: {} } : {} } }) as unknown as NodeSpec;

describe("media drops", () => {
  it("knows a file's kind from its type or its extension", () => {
    expect(fileKind({ name: "a.bin", type: "image/png" })).toBe("image");
    expect(fileKind({ name: "clip.MOV", type: "" })).toBe("video");
    expect(fileKind({ name: "song.flac", type: "" })).toBe("audio");
    expect(fileKind({ name: "notes.txt", type: "text/plain" })).toBeNull();
  });
  it("groups dropped files by kind and keeps the rest apart", () => {
    const { groups, other } = filesByKind([
      { name: "a.png", type: "image/png" },
      { name: "b.wav", type: "audio/wav" },
      { name: "c.jpg", type: "image/jpeg" },
      { name: "d.txt", type: "text/plain" },
    ]);
    expect(groups.map(([k, fs]) => [k, fs.map((f) => f.name)])).toEqual([
      ["image", ["a.png", "c.jpg"]],
      ["audio", ["b.wav"]],
    ]);
    expect(other.map((f) => f.name)).toEqual(["d.txt"]);
  });
  it("finds the upload node of a kind by its schema", () => {
    const catalog = new Map([spec("image.blur", "image", false), spec("upload.image", "image"), spec("upload.audio", "audio")].map((s) => [s.type, s]));
    expect(uploadTypeFor(catalog, "image")).toBe("upload.image");
    expect(uploadTypeFor(catalog, "audio")).toBe("upload.audio");
    expect(uploadTypeFor(catalog, "video")).toBeNull();
  });
  it("reads a dragged gallery item and refuses anything else", () => {
    expect(readDraggedMedia('{"id":"m1","kind":"video","filename":"x.mp4"}')).toEqual({ id: "m1", kind: "video", filename: "x.mp4" });
    expect(readDraggedMedia('{"id":"m1","kind":"text"}')).toBeNull();
    expect(readDraggedMedia("not json")).toBeNull();
  });
});
