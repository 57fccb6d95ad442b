import { describe, expect, it } from "vitest";
import { coerceNumber, defaultParams, formFields, randomSeed } from "./schemaForm";
import type { JsonSchema } from "./types";

// Shapes as pydantic's model_json_schema() produces them for the studio's nodes.
const schema: JsonSchema = {
  title: "Example",
  type: "object",
  $defs: { Mode: { enum: ["a", "b"], title: "Mode", type: "string" } },
  properties: {
    prompt: { default: "", maxLength: 100000, title: "Prompt", type: "string", widget: "textarea" },
    negative_prompt: { default: "", maxLength: 4000, title: "Negative Prompt", type: "string" },
    name: { default: "x", maxLength: 80, title: "Name", type: "string" },
    width: { default: 512, maximum: 8192, minimum: 1, title: "Width", type: "integer" },
    strength: { default: 1, maximum: 4, minimum: 0, title: "Strength", type: "number" },
    count: { default: 1, minimum: 1, title: "Count", type: "integer" },
    seed: { default: 0, minimum: 0, title: "Seed", type: "integer" },
    mode: { enum: ["stretch", "fit", "cover"], default: "fit", title: "Mode", type: "string" },
    other: { $ref: "#/$defs/Mode", default: "a" },
    invert: { default: false, title: "Invert", type: "boolean" },
    color: { default: "#ffffff", pattern: "^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$", title: "Color", type: "string", widget: "color" },
    tint: { default: "#000000", pattern: "^#[0-9a-fA-F]{6}$", title: "Tint", type: "string" },
    media_ids: { items: { type: "string" }, title: "Media Ids", type: "array" },
    maybe: { anyOf: [{ maximum: 10, minimum: 0, type: "number" }, { type: "null" }], default: null, title: "Maybe" },
    font: { default: "DejaVu Sans", maxLength: 100, options: ["DejaVu Sans", "Noto Sans"], title: "Font", type: "string" },
    extra: { additionalProperties: true, title: "Extra", type: "object" },
  },
};

const byName = Object.fromEntries(formFields(schema).map((f) => [f.name, f]));

describe("formFields", () => {
  it("keeps declaration order", () => {
    expect(formFields(schema).map((f) => f.name)[0]).toBe("prompt");
  });
  it("maps prompts to text areas and short strings to text inputs", () => {
    expect(byName.prompt.kind).toBe("textarea");
    expect(byName.negative_prompt.kind).toBe("textarea");
    expect(byName.name.kind).toBe("text");
  });
  it("maps bounded numbers to sliders with exact entry and unbounded ones to number inputs", () => {
    expect(byName.width).toMatchObject({ kind: "slider", min: 1, max: 8192, step: 1, integer: true });
    expect(byName.strength).toMatchObject({ kind: "slider", min: 0, max: 4, integer: false });
    expect(byName.strength.step).toBeCloseTo(0.02);
    expect(byName.count.kind).toBe("number");
  });
  it("recognises seeds", () => {
    expect(byName.seed.kind).toBe("seed");
    const s = randomSeed(byName.seed);
    expect(Number.isInteger(s)).toBe(true);
    expect(s).toBeGreaterThanOrEqual(0);
  });
  it("maps enums (inline and $ref) to selects", () => {
    expect(byName.mode).toMatchObject({ kind: "select", options: ["stretch", "fit", "cover"] });
    expect(byName.other).toMatchObject({ kind: "select", options: ["a", "b"] });
  });
  it("maps booleans, colors and media lists", () => {
    expect(byName.invert.kind).toBe("checkbox");
    expect(byName.color.kind).toBe("color");
    expect(byName.tint.kind).toBe("color");
    expect(byName.media_ids.kind).toBe("media");
  });
  it("unwraps Optional values and marks them nullable", () => {
    expect(byName.maybe).toMatchObject({ kind: "slider", nullable: true, min: 0, max: 10 });
  });
  it("offers a select for strings with suggested options", () => {
    expect(byName.font).toMatchObject({ kind: "select", options: ["DejaVu Sans", "Noto Sans"] });
  });
  it("falls back to JSON for anything else", () => {
    expect(byName.extra.kind).toBe("json");
  });
  it("collects defaults", () => {
    const d = defaultParams(schema);
    expect(d).toMatchObject({ width: 512, mode: "fit", other: "a", invert: false, maybe: null });
    expect("media_ids" in d).toBe(false);
  });
  it("clamps numeric entry to the bounds", () => {
    expect(coerceNumber(byName.width, 99999)).toBe(8192);
    expect(coerceNumber(byName.width, 3.6)).toBe(4);
    expect(coerceNumber(byName.strength, -1)).toBe(0);
  });
  it("returns nothing for a schema without properties", () => {
    expect(formFields({ type: "object" })).toEqual([]);
  });
});

describe("list parameters", () => {
  const lists: JsonSchema = {
    type: "object",
    $defs: {
      PresetName: { enum: ["rain", "film_grain", "noir"], type: "string" },
      LoraRef: {
        type: "object",
        additionalProperties: false,
        properties: { name: { minLength: 1, type: "string", title: "Name" }, weight: { default: 1, maximum: 4, minimum: -4, type: "number" } },
        required: ["name"],
      },
    },
    properties: {
      presets: { items: { $ref: "#/$defs/PresetName" }, type: "array", default: [] },
      loras: { items: { $ref: "#/$defs/LoraRef" }, type: "array", maxItems: 8 },
      voice: { default: "", maxLength: 120, type: "string", widget: "voice", options_url: "/api/v2/voices", engine_param: "engine" },
    },
  };
  const f = Object.fromEntries(formFields(lists).map((x) => [x.name, x]));

  it("offers lists of choices as chips", () => {
    expect(f.presets.kind).toBe("chips");
    expect(f.presets.options).toEqual(["rain", "film_grain", "noir"]);
  });
  it("edits lists of objects as rows of fields", () => {
    expect(f.loras.kind).toBe("rows");
    expect(f.loras.maxItems).toBe(8);
    expect(f.loras.itemFields?.map((x) => [x.name, x.kind, x.required])).toEqual([["name", "text", true], ["weight", "slider", false]]);
  });
  it("picks voices from the voice list", () => {
    expect(f.voice.kind).toBe("voice");
    expect(f.voice.optionsUrl).toBe("/api/v2/voices");
    expect(f.voice.engineParam).toBe("engine");
  });
});
