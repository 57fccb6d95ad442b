/** Maps a node's params JSON Schema (pydantic) to the Inspector's form fields. */
import type { JsonSchema } from "./types";

export type FieldKind =
  | "textarea"
  | "text"
  | "slider"
  | "number"
  | "seed"
  | "select"
  | "checkbox"
  | "color"
  | "media"
  | "loop-table"
  | "chips"
  | "rows"
  | "voice"
  | "json";

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  description?: string;
  required: boolean;
  nullable: boolean;
  integer: boolean;
  min?: number;
  max?: number;
  step?: number;
  options?: unknown[];
  default?: unknown;
  maxLength?: number;
  /** Placeholder text per value of another field (e.g. system_prompt defaults per preset). */
  presetDefaults?: Record<string, string>;
  /** "rows": the fields of one row (a list of objects, e.g. a LoRA chain). */
  itemFields?: FormField[];
  /** "chips"/"rows": the most items the list takes. */
  maxItems?: number;
  /** "voice": where the choices come from, and which parameter of the node names the engine. */
  optionsUrl?: string;
  engineParam?: string;
}

const LONG_TEXT = 200;
const PROMPTISH = /(prompt|text|system|negative|instruction|lyrics|caption|notes)/i;
const HEX_PATTERN = /#\[0-9a-fA-F\]\{6\}/;

function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let i = 0; i < 8 && current.$ref; i++) {
    const name = current.$ref.split("/").pop() ?? "";
    const target = root.$defs?.[name] ?? (root as { definitions?: Record<string, JsonSchema> }).definitions?.[name];
    if (!target) break;
    const { $ref: _ignored, ...rest } = current;
    current = { ...target, ...rest };
  }
  return current;
}

/** Unwraps `anyOf: [X, {type: null}]` (Optional) and `allOf: [X]`; reports nullability. */
export function unwrap(schema: JsonSchema, root: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  let s = resolveRef(schema, root);
  let nullable = false;
  const variants = s.anyOf ?? s.oneOf;
  if (variants) {
    const nonNull = variants.filter((v) => v.type !== "null");
    nullable = nonNull.length < variants.length;
    if (nonNull.length === 1) {
      const { anyOf: _a, oneOf: _o, ...outer } = s;
      s = { ...resolveRef(nonNull[0], root), ...outer };
    }
  }
  if (s.allOf && s.allOf.length === 1) {
    const { allOf: _x, ...outer } = s;
    s = { ...resolveRef(s.allOf[0], root), ...outer };
  }
  if (Array.isArray(s.type)) {
    nullable = nullable || s.type.includes("null");
    const t = s.type.filter((x) => x !== "null");
    s = { ...s, type: t.length === 1 ? t[0] : t };
  }
  return { schema: s, nullable };
}

function niceStep(min: number, max: number): number {
  const span = max - min;
  if (span <= 0) return 0.01;
  const raw = span / 200;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

function humanize(name: string): string {
  const s = name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function fieldFor(name: string, raw: JsonSchema, root: JsonSchema): FormField {
  const { schema, nullable } = unwrap(raw, root);
  const widget = typeof schema.widget === "string" ? schema.widget : undefined;
  const required = root.required?.includes(name) ?? false;
  const type = schema.type;
  const integer = type === "integer";
  const min = schema.minimum ?? schema.exclusiveMinimum;
  const max = schema.maximum ?? schema.exclusiveMaximum;
  const base: FormField = {
    name,
    label: humanize(name),
    kind: "json",
    description: schema.description,
    required,
    nullable,
    integer,
    default: schema.default ?? raw.default,
    maxLength: schema.maxLength,
    presetDefaults: (schema.preset_defaults as Record<string, string> | undefined) ?? undefined,
  };
  if (widget === "loop-table") return { ...base, kind: "loop-table" };
  if (widget === "seed" || (name === "seed" && (type === "integer" || type === "number"))) {
    return { ...base, kind: "seed", integer: true, min, max, step: 1 };
  }
  if (widget === "media" || name === "media_ids" || (type === "array" && /media/.test(name))) {
    return { ...base, kind: "media" };
  }
  if (widget === "voice") {
    return {
      ...base,
      kind: "voice",
      optionsUrl: typeof schema.options_url === "string" ? schema.options_url : "/api/v2/voices",
      engineParam: typeof schema.engine_param === "string" ? schema.engine_param : undefined,
    };
  }
  if (type === "array" && schema.items) {
    const maxItems = typeof schema.maxItems === "number" ? schema.maxItems : undefined;
    const { schema: item } = unwrap(schema.items, root);
    if (item.enum) return { ...base, kind: "chips", options: item.enum, maxItems };
    if (item.type === "object" && item.properties) {
      const itemRoot: JsonSchema = { ...item, $defs: root.$defs };
      return { ...base, kind: "rows", maxItems, itemFields: Object.entries(item.properties).map(([n, p]) => fieldFor(n, p, itemRoot)) };
    }
  }
  if (schema.enum || schema.const !== undefined) {
    return { ...base, kind: "select", options: schema.enum ?? [schema.const] };
  }
  if (Array.isArray(schema.options) && schema.options.length && type === "string") {
    return { ...base, kind: "select", options: schema.options as unknown[] };
  }
  if (type === "boolean") return { ...base, kind: "checkbox" };
  if (type === "integer" || type === "number") {
    const step = schema.multipleOf ?? (integer ? 1 : min !== undefined && max !== undefined ? niceStep(min, max) : 0.01);
    const bounded = min !== undefined && max !== undefined && widget !== "number";
    return { ...base, kind: bounded ? "slider" : "number", min, max, step };
  }
  if (type === "string") {
    if (widget === "color" || (schema.pattern && HEX_PATTERN.test(schema.pattern)) || /(^|_)colou?r$/.test(name)) {
      return { ...base, kind: "color" };
    }
    if (widget === "textarea" || (schema.maxLength ?? Infinity) > LONG_TEXT && PROMPTISH.test(name)) {
      return { ...base, kind: "textarea" };
    }
    if (widget === "text") return { ...base, kind: "text" };
    if (schema.maxLength === undefined || schema.maxLength > LONG_TEXT) {
      return { ...base, kind: PROMPTISH.test(name) ? "textarea" : "text" };
    }
    return { ...base, kind: "text" };
  }
  return base;
}

/** Every parameter of the schema in declaration order. */
export function formFields(schema: JsonSchema | undefined): FormField[] {
  if (!schema?.properties) return [];
  return Object.entries(schema.properties).map(([name, prop]) => fieldFor(name, prop, schema));
}

/** Defaults for every property that declares one (what the server fills in too). */
export function defaultParams(schema: JsonSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!schema?.properties) return out;
  for (const [name, prop] of Object.entries(schema.properties)) {
    const { schema: s } = unwrap(prop, schema);
    const value = prop.default !== undefined ? prop.default : s.default;
    if (value !== undefined) out[name] = structuredClone(value);
  }
  return out;
}

/** Clamps and rounds a numeric entry to the field's bounds. */
export function coerceNumber(field: FormField, value: number): number {
  let v = Number.isFinite(value) ? value : Number(field.default ?? 0);
  if (field.integer) v = Math.round(v);
  if (field.min !== undefined) v = Math.max(field.min, v);
  if (field.max !== undefined) v = Math.min(field.max, v);
  return v;
}

export function randomSeed(field: FormField): number {
  const lo = Math.max(0, field.min ?? 0);
  const hi = Math.min(field.max ?? 2 ** 31 - 1, Number.MAX_SAFE_INTEGER);
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}
