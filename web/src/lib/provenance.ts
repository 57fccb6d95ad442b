/** What a gallery lightbox shows of a media item's provenance (the metadata the engine kept with it). */
export interface ProvenanceFacts {
  prompt: string | null;
  negativePrompt: string | null;
  seed: string | null;
  engine: string | null;
  model: string | null;
  /** true: a model made it; false: a classical engine; null: not said (an upload). */
  ai: boolean | null;
  nodeType: string | null;
  params: [string, string][];
  other: [string, string][];
}

/** Keys shown elsewhere in the lightbox, or internal (ids, hashes, where the model came from). */
const SHOWN = new Set(["prompt", "negative_prompt", "seed", "engine", "model", "model_name", "ai_generated", "node_type", "params"]);
const INTERNAL = new Set(["node_id", "run_id", "model_sha256", "model_source", "ai_parts", "source", "sources"]);

export function valueText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) return v.join(", ");
  return JSON.stringify(v);
}

function text(v: unknown): string | null {
  return v === null || v === undefined || v === "" ? null : valueText(v);
}

function humanKey(k: string): string {
  const s = k.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Picks prompt, seed, engine, model and parameters out of a media record's metadata. */
export function provenanceFacts(meta: Record<string, unknown> | null | undefined): ProvenanceFacts {
  const m = meta ?? {};
  const params = (m.params && typeof m.params === "object" && !Array.isArray(m.params) ? m.params : {}) as Record<string, unknown>;
  const pick = (k: string) => text(m[k] ?? params[k]);
  return {
    prompt: pick("prompt"),
    negativePrompt: pick("negative_prompt"),
    seed: pick("seed"),
    engine: text(m.engine),
    model: text(m.model_name ?? m.model),
    ai: typeof m.ai_generated === "boolean" ? m.ai_generated : null,
    nodeType: text(m.node_type),
    params: Object.entries(params)
      .filter(([k, v]) => !["prompt", "negative_prompt", "seed"].includes(k) && v !== null && v !== undefined && v !== "")
      .map(([k, v]) => [humanKey(k), valueText(v)]),
    other: Object.entries(m)
      .filter(([k, v]) => !SHOWN.has(k) && !INTERNAL.has(k) && v !== null && v !== undefined && v !== "")
      .map(([k, v]) => [humanKey(k), valueText(v)]),
  };
}
