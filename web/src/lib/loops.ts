/**
 * Loop nodes (type `loop`): iterations over a group's members, each with per-node overrides
 * (node id → field → value). Mirrors nodes/control.py (LoopIteration) and core/loops.py (expansion).
 * Everything here is pure so the Inspector's table edits are a reducer over the iteration list.
 */
import { GROUP_TYPE } from "./graphDoc";
import type { FormField } from "./schemaForm";
import type { NodeRunState } from "./types";

export const LOOP_TYPE = "loop";
export const COPY_SEPARATOR = "::";
const MAX_ITERATIONS = 200;

export type Overrides = Record<string, Record<string, unknown>>;

export interface LoopIteration {
  id: string;
  label: string;
  enabled: boolean;
  overrides: Overrides;
}

export interface LoopParams {
  group_id: string;
  iterations: LoopIteration[];
}

/** The loop's params, tolerant of missing or partial values. */
export function readLoop(params: Record<string, unknown>): LoopParams {
  const raw = Array.isArray(params.iterations) ? (params.iterations as Partial<LoopIteration>[]) : [];
  return {
    group_id: typeof params.group_id === "string" ? params.group_id : "",
    iterations: raw
      .filter((it) => it && typeof it.id === "string")
      .map((it) => ({ id: it.id!, label: it.label ?? "", enabled: it.enabled !== false, overrides: { ...(it.overrides ?? {}) } })),
  };
}

/** The server's copy id for a member in one iteration. */
export function copyId(memberId: string, iterationId: string): string {
  return `${memberId}${COPY_SEPARATOR}${iterationId}`;
}

/** A fresh iteration id (server pattern ^[A-Za-z0-9_-]+$), `v<n>` past the highest one in use. */
export function nextIterationId(iterations: LoopIteration[]): string {
  let max = 0;
  for (const it of iterations) {
    const m = /^v(\d+)$/.exec(it.id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  let n = max + 1;
  const taken = new Set(iterations.map((it) => it.id));
  while (taken.has(`v${n}`)) n++;
  return `v${n}`;
}

export function iterationLabel(it: LoopIteration, index: number): string {
  return it.label.trim() || `Iteration ${index + 1}`;
}

export function overrideCount(it: LoopIteration): number {
  return Object.values(it.overrides).reduce((sum, fields) => sum + Object.keys(fields ?? {}).length, 0);
}

export type LoopAction =
  | { type: "add"; label?: string; overrides?: Overrides }
  | { type: "duplicate"; id: string }
  | { type: "rename"; id: string; label: string }
  | { type: "toggle"; id: string; enabled: boolean }
  | { type: "remove"; id: string }
  | { type: "move"; id: string; by: -1 | 1 }
  | { type: "setOverride"; id: string; nodeId: string; field: string; value: unknown }
  | { type: "clearOverride"; id: string; nodeId: string; field: string }
  | { type: "variants"; nodeId: string; field: string; values: unknown[]; labels?: string[] }
  | { type: "prune"; memberIds: string[] };

/** Applies one table edit; never mutates `list`. */
export function editIterations(list: LoopIteration[], action: LoopAction): LoopIteration[] {
  const map = (id: string, fn: (it: LoopIteration) => LoopIteration) => list.map((it) => (it.id === id ? fn(it) : it));
  switch (action.type) {
    case "add": {
      if (list.length >= MAX_ITERATIONS) return list;
      const id = nextIterationId(list);
      return [...list, { id, label: action.label ?? `Variant ${list.length + 1}`, enabled: true, overrides: structuredClone(action.overrides ?? {}) }];
    }
    case "duplicate": {
      const at = list.findIndex((it) => it.id === action.id);
      if (at < 0 || list.length >= MAX_ITERATIONS) return list;
      const src = list[at];
      const copy = { ...src, id: nextIterationId(list), label: `${iterationLabel(src, at)} copy`, overrides: structuredClone(src.overrides) };
      return [...list.slice(0, at + 1), copy, ...list.slice(at + 1)];
    }
    case "rename":
      return map(action.id, (it) => ({ ...it, label: action.label.slice(0, 200) }));
    case "toggle":
      return map(action.id, (it) => ({ ...it, enabled: action.enabled }));
    case "remove":
      return list.filter((it) => it.id !== action.id);
    case "move": {
      const at = list.findIndex((it) => it.id === action.id);
      const to = at + action.by;
      if (at < 0 || to < 0 || to >= list.length) return list;
      const out = [...list];
      [out[at], out[to]] = [out[to], out[at]];
      return out;
    }
    case "setOverride":
      return map(action.id, (it) => ({
        ...it,
        overrides: { ...it.overrides, [action.nodeId]: { ...(it.overrides[action.nodeId] ?? {}), [action.field]: action.value } },
      }));
    case "clearOverride":
      return map(action.id, (it) => {
        const { [action.field]: _gone, ...rest } = it.overrides[action.nodeId] ?? {};
        const overrides = { ...it.overrides };
        if (Object.keys(rest).length) overrides[action.nodeId] = rest;
        else delete overrides[action.nodeId];
        return { ...it, overrides };
      });
    case "variants": {
      let out = list;
      action.values.forEach((value, i) => {
        const label = action.labels?.[i] ?? `${action.field} ${String(value)}`;
        out = editIterations(out, { type: "add", label, overrides: { [action.nodeId]: { [action.field]: value } } });
      });
      return out;
    }
    case "prune": {
      const keep = new Set(action.memberIds);
      return list.map((it) => ({ ...it, overrides: Object.fromEntries(Object.entries(it.overrides).filter(([id]) => keep.has(id))) }));
    }
  }
}

/** Node ids overridden by some iteration that are no longer members of the group (the server refuses those). */
export function strayOverrides(list: LoopIteration[], memberIds: string[]): string[] {
  const keep = new Set(memberIds);
  const stray = new Set<string>();
  for (const it of list) for (const id of Object.keys(it.overrides)) if (!keep.has(id)) stray.add(id);
  return [...stray];
}

/** `count` distinct seeds within the field's bounds, starting from a random base. */
export function seedValues(field: Pick<FormField, "min" | "max">, count: number, random: () => number = Math.random): number[] {
  const lo = Math.max(0, field.min ?? 0);
  const hi = Math.min(field.max ?? 2 ** 31 - 1, Number.MAX_SAFE_INTEGER);
  const span = Math.max(1, hi - lo + 1);
  const base = lo + Math.floor(random() * span);
  const step = Math.max(1, Math.floor(span / Math.max(count, 1) / 7)) || 1;
  return Array.from({ length: count }, (_, i) => lo + ((base - lo + i * step) % span));
}

/**
 * "Add values…": a comma list (or one value per line, for prompts that contain commas) typed into the
 * field's kind. Returns the values and any entry that does not fit the field.
 */
export function parseValueList(text: string, field: Pick<FormField, "kind" | "integer" | "min" | "max" | "options">): { values: unknown[]; errors: string[] } {
  const parts = (text.includes("\n") ? text.split("\n") : text.split(",")).map((s) => s.trim()).filter(Boolean);
  const values: unknown[] = [];
  const errors: string[] = [];
  for (const p of parts) {
    if (field.kind === "number" || field.kind === "slider" || field.kind === "seed") {
      const v = Number(p);
      if (!Number.isFinite(v) || (field.integer && !Number.isInteger(v))) errors.push(`${p} is not ${field.integer ? "a whole number" : "a number"}`);
      else if ((field.min !== undefined && v < field.min) || (field.max !== undefined && v > field.max)) errors.push(`${p} is outside ${field.min ?? "−∞"}…${field.max ?? "∞"}`);
      else values.push(v);
    } else if (field.kind === "checkbox") {
      if (/^(true|on|yes|1)$/i.test(p)) values.push(true);
      else if (/^(false|off|no|0)$/i.test(p)) values.push(false);
      else errors.push(`${p} is not on/off`);
    } else if (field.kind === "select") {
      const match = field.options?.find((o) => String(o) === p);
      if (match === undefined) errors.push(`${p} is not one of ${field.options?.map(String).join(", ")}`);
      else values.push(match);
    } else values.push(p);
  }
  return { values, errors };
}

export interface MemberLike {
  id: string;
  type: string;
  parentId?: string | null;
}

/** Members a loop repeats: nodes inside the group, nested groups included, annotations and loops excluded (core/loops.py). */
export function groupMembers<T extends MemberLike>(nodes: T[], groupId: string): T[] {
  const children = new Map<string, T[]>();
  for (const n of nodes) if (n.parentId) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n]);
  const out: T[] = [];
  const stack = [groupId];
  const seen = new Set<string>();
  while (stack.length) {
    const g = stack.pop()!;
    if (seen.has(g)) continue;
    seen.add(g);
    for (const c of children.get(g) ?? []) {
      if (c.type === GROUP_TYPE) stack.push(c.id);
      else if (c.type !== "comment" && c.type !== LOOP_TYPE) out.push(c);
    }
  }
  return out;
}

/** Members whose outputs no other member consumes: the group's results, shown per iteration. */
export function resultMembers(memberIds: string[], edges: { source: string; target: string }[]): string[] {
  const members = new Set(memberIds);
  const feeding = new Set(edges.filter((e) => members.has(e.source) && members.has(e.target)).map((e) => e.source));
  return memberIds.filter((id) => !feeding.has(id));
}

/** The run state's `loops` section: loop id → [{iteration_id, label, nodes: {member: state}}]. */
export type LoopsSection = Record<string, { iteration_id: string; label: string; nodes: Record<string, NodeRunState | null> }[]>;

export interface LoopGridCell {
  memberId: string;
  state: NodeRunState | null;
}

export interface LoopGridRow {
  iterationId: string;
  label: string;
  enabled: boolean;
  cells: LoopGridCell[];
}

/**
 * What the loop node shows: one row per iteration (disabled ones flagged) with each result member's
 * state. Live states for copy ids (SSE) win over the last run's `loops` section.
 */
export function loopGrid(
  loopId: string,
  loop: LoopParams,
  results: string[],
  live: (id: string) => NodeRunState | undefined,
  section: LoopsSection | null | undefined,
): LoopGridRow[] {
  const past = new Map((section?.[loopId] ?? []).map((it) => [it.iteration_id, it]));
  return loop.iterations.map((it, i) => ({
    iterationId: it.id,
    label: iterationLabel(it, i),
    enabled: it.enabled,
    cells: results.map((memberId) => {
      const now = live(copyId(memberId, it.id));
      const state = now && now.status !== "idle" ? now : (past.get(it.id)?.nodes?.[memberId] ?? null);
      return { memberId, state };
    }),
  }));
}
