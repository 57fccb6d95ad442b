import { describe, expect, it } from "vitest";
import { provenanceFacts } from "./provenance";

describe("provenance facts", () => {
  it("reads a generated image's prompt, seed, engine, model and parameters", () => {
    const f = provenanceFacts({
      node_type: "image.generate", node_id: "n1", run_id: "r", ai_generated: true, engine: "diffusers",
      model: "tiny-sd", model_name: "Tiny SD", model_sha256: "abc", prompt: "a red fox", seed: 42,
      params: { steps: 4, guidance: 7.5, loras: ["a", "b"], negative_prompt: "blur" }, pipeline: "StableDiffusionPipeline",
    });
    expect(f).toMatchObject({ prompt: "a red fox", negativePrompt: "blur", seed: "42", engine: "diffusers", model: "Tiny SD", ai: true, nodeType: "image.generate" });
    expect(f.params).toEqual([["Steps", "4"], ["Guidance", "7.5"], ["Loras", "a, b"]]);
    expect(f.other).toEqual([["Pipeline", "StableDiffusionPipeline"]]);
  });
  it("says nothing it does not know (an upload)", () => {
    const f = provenanceFacts({});
    expect(f).toMatchObject({ prompt: null, seed: null, engine: null, model: null, ai: null, params: [], other: [] });
  });
  it("takes the seed from the parameters when only they have it, and marks classical output", () => {
    const f = provenanceFacts({ engine: "classical-lanczos", ai_generated: false, params: { seed: 7, scale: 2 } });
    expect(f.seed).toBe("7");
    expect(f.ai).toBe(false);
    expect(f.params).toEqual([["Scale", "2"]]);
  });
});
