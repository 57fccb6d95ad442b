/** Recipes as templates: the input form from a recipe's JSON Schema, and server errors mapped back onto fields. */
import { formFields, defaultParams, type FormField } from "./schemaForm";
import type { JsonSchema } from "./types";

export type MediaKind = "image" | "video" | "audio";

export interface RecipeSummary {
  id: string;
  name: string;
  title?: string;
  description?: string;
  version?: string;
  category?: string;
  input_schema?: JsonSchema;
  inputs?: string[];
  source?: string;
}

export interface RecipeDetail extends RecipeSummary {
  bindings?: Record<string, { node: string; field?: string; media?: MediaKind }[]>;
}

export interface RecipeField extends FormField {
  /** Set for inputs bound to an upload node: an http(s) URL or a gallery media id. */
  media: MediaKind | null;
}

/** Recipe title as shown on cards. */
export function recipeTitle(r: RecipeSummary): string {
  return r.title || r.name || r.id;
}

/** Recipes grouped by category (sorted), filtered by a search over id, name, title, description and category. */
export function groupRecipes(recipes: RecipeSummary[], query: string): [string, RecipeSummary[]][] {
  const q = query.trim().toLowerCase();
  const hit = (r: RecipeSummary) => !q || [r.id, r.name, r.title, r.description, r.category].some((s) => s?.toLowerCase().includes(q));
  const groups = new Map<string, RecipeSummary[]>();
  for (const r of recipes.filter(hit)) {
    const cat = r.category || "General";
    groups.set(cat, [...(groups.get(cat) ?? []), r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cat, list]) => [cat, [...list].sort((a, b) => recipeTitle(a).localeCompare(recipeTitle(b)))]);
}

function mediaKindFor(name: string, detail: RecipeDetail | null): MediaKind | null {
  const bound = detail?.bindings?.[name]?.find((b) => b.media)?.media;
  if (bound) return bound;
  const m = /(image|video|audio)_url$/.exec(name);
  return m ? (m[1] as MediaKind) : null;
}

/** Form fields of the recipe's input schema; media inputs are flagged with their kind (from the bindings). */
export function recipeFields(recipe: RecipeSummary, detail: RecipeDetail | null): RecipeField[] {
  return formFields(recipe.input_schema).map((f) => {
    const media = mediaKindFor(f.name, detail);
    return media ? { ...f, kind: "text", media } : { ...f, media: null };
  });
}

export function initialValues(recipe: RecipeSummary): Record<string, unknown> {
  return defaultParams(recipe.input_schema);
}

/** What to send as `inputs`: empty text and unset values are left out so defaults and `required` apply. */
export function recipeInputs(fields: RecipeField[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined || v === "") continue;
    if (v === null && !f.nullable) continue;
    out[f.name] = typeof v === "string" && f.media ? v.trim() : v;
  }
  return out;
}

/** Missing required fields, checked before asking the server (which checks everything). */
export function missingRequired(fields: RecipeField[], values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.required && (v === undefined || v === null || v === "")) out[f.name] = f.media ? "Choose media from your gallery or paste an http(s) link" : "Required";
  }
  return out;
}

interface ErrorDetails {
  errors?: { field?: string; message?: string; validator?: string }[];
  field?: string;
}

/**
 * Server errors as field → message: SCHEMA_VALIDATION lists every failing field path; INVALID_INPUTS names one field;
 * URL_NOT_ALLOWED is put on the media field(s) holding a URL. Anything else goes under "" (the form as a whole).
 */
export function mapRecipeErrors(
  code: string,
  message: string,
  details: unknown,
  fields: RecipeField[],
  values: Record<string, unknown>,
): Record<string, string> {
  const d = (details ?? {}) as ErrorDetails;
  const names = new Set(fields.map((f) => f.name));
  const out: Record<string, string> = {};
  const put = (field: string | undefined, text: string) => {
    const top = (field ?? "").split("/")[0];
    const key = names.has(top) ? top : "";
    out[key] = out[key] ? `${out[key]}; ${text}` : text;
  };
  if (code === "SCHEMA_VALIDATION" && d.errors?.length) {
    for (const e of d.errors) put(e.field, friendly(e.message ?? message, e.validator));
  } else if (code === "URL_NOT_ALLOWED") {
    const urls = fields.filter((f) => f.media && typeof values[f.name] === "string" && /^[a-z]+:\/\//i.test(String(values[f.name])));
    if (urls.length) urls.forEach((f) => put(f.name, message));
    else put(d.field, message);
  } else if (d.field) {
    put(d.field, message.replace(/^input '[^']+': /, ""));
  } else {
    put("", message);
  }
  return out;
}

function friendly(message: string, validator?: string): string {
  if (validator === "required") return "Required";
  if (validator === "minLength" && /non-empty|too short/.test(message)) return "Must not be empty";
  return message;
}

/** A recipe id from a name (server pattern ^[a-z0-9][a-z0-9_-]{1,99}$). */
export function recipeIdFrom(name: string): string {
  const s = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60);
  return s.length >= 2 ? s : `recipe_${s || "1"}`;
}

/** An input name (^[a-z][a-z0-9_]{0,63}$) for `base`, unique among `taken`. */
export function inputNameFrom(base: string, taken: Set<string>): string {
  let s = base.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^[^a-z]+|_+$/g, "").slice(0, 56) || "input";
  const root = s;
  for (let i = 2; taken.has(s); i++) s = `${root}_${i}`;
  return s;
}
