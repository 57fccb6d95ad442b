import { describe, expect, it } from "vitest";
import { engineInfo } from "./mediaInfo";
import { groupRecipes, initialValues, inputNameFrom, mapRecipeErrors, missingRequired, recipeFields, recipeIdFrom, recipeInputs, type RecipeSummary } from "./recipeForm";

// The shape of the bundled text_overlay recipe (GET /api/v2/recipes).
const overlay: RecipeSummary = {
  id: "text_overlay",
  name: "Add text overlay",
  title: "Text overlay",
  category: "Utilities",
  input_schema: {
    type: "object",
    properties: {
      source_image_url: { type: "string", minLength: 1, maxLength: 2048, description: "URL or media id" },
      text: { type: "string", minLength: 1, maxLength: 2000 },
      position: { type: "string", enum: ["top-center", "bottom-center"], default: "bottom-center" },
      size: { type: "integer", minimum: 4, maximum: 2000, default: 48 },
      tempo: { type: ["integer", "null"], minimum: 40, maximum: 220, default: null },
    },
    required: ["source_image_url", "text"],
  },
};
const detail = { ...overlay, bindings: { source_image_url: [{ node: "source", media: "image" as const }], text: [{ node: "overlay", field: "text" }] } };

describe("recipe form", () => {
  const fields = recipeFields(overlay, detail);
  const by = Object.fromEntries(fields.map((f) => [f.name, f]));
  it("maps the input schema with the Inspector's widgets and flags media inputs from the bindings", () => {
    expect(by.source_image_url).toMatchObject({ media: "image", required: true });
    expect(by.position).toMatchObject({ kind: "select", media: null });
    expect(by.size).toMatchObject({ kind: "slider", min: 4, max: 2000 });
    expect(by.tempo).toMatchObject({ nullable: true });
    expect(recipeFields({ ...overlay, input_schema: { type: "object", properties: { target_video_url: { type: "string" } } } }, null)[0].media).toBe("video");
  });
  it("starts from defaults and sends only set values", () => {
    const values = { ...initialValues(overlay), text: "", source_image_url: " 3f1c0a52-1111-4222-8333-944445555666 " };
    expect(initialValues(overlay)).toEqual({ position: "bottom-center", size: 48, tempo: null });
    expect(recipeInputs(fields, values)).toEqual({ position: "bottom-center", size: 48, tempo: null, source_image_url: "3f1c0a52-1111-4222-8333-944445555666" });
    expect(missingRequired(fields, values)).toEqual({ text: "Required" });
  });
  it("puts SCHEMA_VALIDATION errors next to the failing fields", () => {
    const errs = mapRecipeErrors("SCHEMA_VALIDATION", "recipe input 'text'…", {
      errors: [
        { field: "size", message: "1 is less than the minimum of 4", validator: "minimum" },
        { field: "text", message: "'text' is a required property", validator: "required" },
        { field: "", message: "Additional properties are not allowed", validator: "additionalProperties" },
      ],
    }, fields, {});
    expect(errs).toEqual({ size: "1 is less than the minimum of 4", text: "Required", "": "Additional properties are not allowed" });
  });
  it("maps INVALID_INPUTS to its field and URL_NOT_ALLOWED to the media field holding a URL", () => {
    expect(mapRecipeErrors("INVALID_INPUTS", "input 'source_image_url': media x is not in your gallery", { field: "source_image_url" }, fields, {})).toEqual({ source_image_url: "media x is not in your gallery" });
    expect(mapRecipeErrors("URL_NOT_ALLOWED", "loopback addresses are not allowed", undefined, fields, { source_image_url: "http://127.0.0.1/x.png" })).toEqual({ source_image_url: "loopback addresses are not allowed" });
    expect(mapRecipeErrors("RECIPE_NOT_FOUND", "no recipe", undefined, fields, {})).toEqual({ "": "no recipe" });
  });
  it("groups recipes by category and searches them", () => {
    const list = [overlay, { id: "music_generator", name: "Generate music", title: "Music", category: "Audio", description: "from style notes" }, { id: "video_trim", name: "Trim", category: "Utilities" }];
    expect(groupRecipes(list, "").map(([c, l]) => [c, l.map((r) => r.id)])).toEqual([["Audio", ["music_generator"]], ["Utilities", ["text_overlay", "video_trim"]]]);
    expect(groupRecipes(list, "style").map(([c]) => c)).toEqual(["Audio"]);
  });
  it("derives valid recipe ids and unique input names for publishing", () => {
    expect(recipeIdFrom("Summer Campaign — v2!")).toBe("summer_campaign_v2");
    expect(recipeIdFrom("é")).toMatch(/^[a-z0-9][a-z0-9_-]{1,99}$/);
    expect(inputNameFrom("Photo image_url", new Set())).toBe("photo_image_url");
    expect(inputNameFrom("color", new Set(["color"]))).toBe("color_2");
    expect(inputNameFrom("2nd", new Set())).toBe("nd");
  });
});

describe("engine labels", () => {
  it("reads engine and the AI marking from media metadata; classical fallbacks read as such", () => {
    expect(engineInfo({ engine: "classical-lanczos", ai_generated: false })).toEqual({ engine: "classical-lanczos", ai: false, classical: true });
    expect(engineInfo({ engine: "diffusers", ai_generated: true })).toEqual({ engine: "diffusers", ai: true, classical: false });
    expect(engineInfo({})).toBeNull();
    expect(engineInfo(null)).toBeNull();
  });
});
