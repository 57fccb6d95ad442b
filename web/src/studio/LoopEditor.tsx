import { useState } from "react";
import type { FlowNode } from "../lib/graphDoc";
import { editIterations, iterationLabel, overrideCount, parseValueList, seedValues, strayOverrides, type LoopAction, type LoopIteration } from "../lib/loops";
import { formFields, type FormField } from "../lib/schemaForm";
import type { NodeSpec } from "../lib/types";
import { useStudio } from "./context";
import { ParamField } from "./ParamField";
import { useRunSummary } from "./runStore";
import { groupLabelOf, useLoopTarget } from "./useLoopTarget";

type Dispatch = (action: LoopAction, coalesceKey?: string) => void;

/** Parameters a loop may override on a member: everything the Inspector edits except media lists and raw JSON. */
function overridable(spec: NodeSpec | undefined): FormField[] {
  return formFields(spec?.params_schema).filter((f) => f.kind !== "media" && f.kind !== "json" && f.kind !== "loop-table");
}

function memberTitle(m: FlowNode, catalog: Map<string, NodeSpec>): string {
  return m.data.title || catalog.get(m.data.nodeType)?.title || m.id;
}

function OverrideList({ it, members, dispatch }: { it: LoopIteration; members: FlowNode[]; dispatch: Dispatch }) {
  const { catalog } = useStudio();
  const rows = Object.entries(it.overrides).flatMap(([nodeId, fields]) => Object.entries(fields).map(([field, value]) => ({ nodeId, field, value })));
  if (!rows.length) return <p className="muted small">No overrides: this iteration runs the group as it is.</p>;
  return (
    <ul className="override-list">
      {rows.map(({ nodeId, field, value }) => {
        const m = members.find((x) => x.id === nodeId);
        const f = overridable(catalog.get(m?.data.nodeType ?? "")).find((x) => x.name === field);
        return (
          <li key={`${nodeId}.${field}`} className="override-row">
            <div className="override-head">
              <span className="override-target">
                {m ? memberTitle(m, catalog) : <em>{nodeId} (not in the group)</em>} · {f?.label ?? field}
              </span>
              <button
                className="icon-btn"
                aria-label={`Remove override ${f?.label ?? field} of ${iterationLabel(it, 0)}`}
                title="Remove override"
                onClick={() => dispatch({ type: "clearOverride", id: it.id, nodeId, field })}
              >
                ✕
              </button>
            </div>
            {f ? (
              <ParamField
                field={{ ...f, description: undefined }}
                idPrefix={`ov-${it.id}-${nodeId}`}
                value={value}
                onChange={(v, coalesce) => dispatch({ type: "setOverride", id: it.id, nodeId, field, value: v }, coalesce ? `ov:${it.id}:${nodeId}:${field}` : undefined)}
              />
            ) : (
              <code className="small">{JSON.stringify(value)}</code>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Pick a member node and one of its parameters (from its catalog schema). */
function FieldPicker({ members, onPick, label, filter }: { members: FlowNode[]; onPick: (m: FlowNode, f: FormField) => void; label: string; filter?: (f: FormField) => boolean }) {
  const { catalog } = useStudio();
  const [nodeId, setNodeId] = useState(members[0]?.id ?? "");
  const member = members.find((m) => m.id === nodeId) ?? members[0];
  const fields = overridable(catalog.get(member?.data.nodeType ?? "")).filter(filter ?? (() => true));
  const [fieldName, setFieldName] = useState("");
  const field = fields.find((f) => f.name === fieldName) ?? fields[0];
  if (!members.length) return <p className="muted small">The group has no nodes to override yet.</p>;
  return (
    <div className="override-add">
      <select value={member?.id ?? ""} onChange={(e) => setNodeId(e.target.value)} aria-label={`${label}: node`}>
        {members.map((m) => (
          <option key={m.id} value={m.id}>
            {memberTitle(m, catalog)}
          </option>
        ))}
      </select>
      <select value={field?.name ?? ""} onChange={(e) => setFieldName(e.target.value)} aria-label={`${label}: field`} disabled={!fields.length}>
        {fields.map((f) => (
          <option key={f.name} value={f.name}>
            {f.label}
          </option>
        ))}
      </select>
      <button className="btn btn-small" disabled={!member || !field} onClick={() => member && field && onPick(member, field)} aria-label={label}>
        + Add
      </button>
    </div>
  );
}

/** A one-line hint of what an iteration changes, e.g. "color #ff5a5f". */
function peek(it: LoopIteration): string {
  const parts = Object.values(it.overrides).flatMap((fields) => Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "object" ? "…" : String(v)}`));
  return parts.slice(0, 2).join(", ") + (parts.length > 2 ? ", …" : "");
}

function IterationRow({ it, index, count, members, dispatch }: { it: LoopIteration; index: number; count: number; members: FlowNode[]; dispatch: Dispatch }) {
  const [open, setOpen] = useState(false);
  const n = overrideCount(it);
  const name = iterationLabel(it, index);
  return (
    <li className={`iter-row ${it.enabled ? "" : "off"} ${open ? "open" : ""}`} aria-label={`Iteration ${name}`}>
      <div className="iter-main">
        <input type="checkbox" checked={it.enabled} onChange={(e) => dispatch({ type: "toggle", id: it.id, enabled: e.target.checked })} aria-label={`Enable ${name}`} title={it.enabled ? "Enabled" : "Disabled: kept but skipped"} />
        <input
          className="iter-label"
          value={it.label}
          placeholder={`Iteration ${index + 1}`}
          onChange={(e) => dispatch({ type: "rename", id: it.id, label: e.target.value }, `loop-label:${it.id}`)}
          aria-label={`Label of iteration ${index + 1}`}
        />
        <div className="iter-actions">
          <button className="icon-btn" onClick={() => dispatch({ type: "move", id: it.id, by: -1 })} disabled={index === 0} aria-label={`Move ${name} up`} title="Move up">
            ↑
          </button>
          <button className="icon-btn" onClick={() => dispatch({ type: "duplicate", id: it.id })} disabled={count >= 200} aria-label={`Duplicate ${name}`} title="Duplicate">
            ⧉
          </button>
          <button className="icon-btn danger" onClick={() => dispatch({ type: "remove", id: it.id })} aria-label={`Delete ${name}`} title="Delete">
            ✕
          </button>
        </div>
      </div>
      <button className={`override-count ${n ? "has" : ""}`} onClick={() => setOpen(!open)} aria-expanded={open} aria-label={`Overrides of ${name}: ${n}`} title={open ? "Hide overrides" : "Show and edit overrides"}>
        {open ? "▾" : "▸"} {n} {n === 1 ? "override" : "overrides"}
        {n > 0 && !open && <span className="override-peek">{peek(it)}</span>}
      </button>
      {open && (
        <div className="iter-detail">
          <OverrideList it={it} members={members} dispatch={dispatch} />
          <FieldPicker
            members={members}
            label={`Add override to ${name}`}
            onPick={(m, f) => dispatch({ type: "setOverride", id: it.id, nodeId: m.id, field: f.name, value: structuredClone(m.data.params[f.name] ?? f.default ?? null) })}
          />
        </div>
      )}
    </li>
  );
}

/** One click for the usual variant axes: seeds, and a list of values for any field (prompts, languages, angles…). */
function QuickAxes({ members, dispatch }: { members: FlowNode[]; dispatch: Dispatch }) {
  const { catalog } = useStudio();
  const [count, setCount] = useState(4);
  const [values, setValues] = useState("");
  const [pending, setPending] = useState<{ m: FlowNode; f: FormField } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seeded = members.filter((m) => overridable(catalog.get(m.data.nodeType)).some((f) => f.kind === "seed"));
  return (
    <section className="insp-section" aria-label="Quick variants">
      <h3>Quick variants</h3>
      {seeded.length > 0 && (
        <div className="pfield">
          <span className="pfield-label">Seeds</span>
          <div className="override-add">
            <input type="number" className="num-input" min={1} max={50} value={count} onChange={(e) => setCount(Math.max(1, Math.min(50, Number(e.target.value) || 1)))} aria-label="Number of seed variants" />
            <FieldPicker
              members={seeded}
              label="Add seed variants"
              filter={(f) => f.kind === "seed"}
              onPick={(m, f) => {
                const seeds = seedValues(f, count);
                dispatch({ type: "variants", nodeId: m.id, field: f.name, values: seeds, labels: seeds.map((v) => `Seed ${v}`) });
              }}
            />
          </div>
        </div>
      )}
      <div className="pfield">
        <span className="pfield-label">Values for one field</span>
        {pending ? (
          <>
            <span className="small muted">
              {memberTitle(pending.m, catalog)} · {pending.f.label}: comma-separated, or one per line
            </span>
            <textarea rows={3} value={values} onChange={(e) => setValues(e.target.value)} placeholder={pending.f.kind === "color" ? "#ff5a5f, #2ec4b6, #ffbe0b" : "front view, side view, top view"} aria-label="Values, comma-separated" />
            {error && <p className="field-error" role="alert">{error}</p>}
            <div className="row gap-sm">
              <button
                className="btn btn-small btn-primary"
                aria-label="Create iterations from values"
                onClick={() => {
                  const { values: list, errors } = parseValueList(values, pending.f);
                  if (errors.length || !list.length) return setError(errors[0] ?? "Enter at least one value");
                  dispatch({ type: "variants", nodeId: pending.m.id, field: pending.f.name, values: list, labels: list.map((v) => String(v).slice(0, 60)) });
                  setPending(null);
                  setValues("");
                  setError(null);
                }}
              >
                Create {parseValueList(values, pending.f).values.length || ""} iterations
              </button>
              <button className="btn btn-small" onClick={() => setPending(null)} aria-label="Cancel values">
                Cancel
              </button>
            </div>
          </>
        ) : (
          <FieldPicker members={members} label="Add values…" onPick={(m, f) => setPending({ m, f })} />
        )}
      </div>
    </section>
  );
}

/** The Inspector for a loop node: target group, iteration table with per-node overrides, quick axes, run. */
export function LoopEditor({ node }: { node: FlowNode }) {
  const { actions, runStore } = useStudio();
  const running = ["running", "queued"].includes(useRunSummary(runStore).status ?? "");
  const target = useLoopTarget(node.data.params);
  const list = target.loop.iterations;
  const dispatch: Dispatch = (action, key) => actions.updateParams(node.id, { iterations: editIterations(list, action) }, key);
  const stray = strayOverrides(list, target.members.map((m) => m.id));
  const enabled = list.filter((it) => it.enabled).length;
  const total = list.reduce((s, it) => s + overrideCount(it), 0);
  return (
    <>
      <section className="insp-section" aria-label="Loop target">
        <label className="pfield">
          <span className="pfield-label">Repeat the group</span>
          <select value={target.group?.id ?? ""} onChange={(e) => actions.updateParams(node.id, { group_id: e.target.value })} aria-label="Target group">
            {!target.group && <option value="">Choose a group…</option>}
            {target.groups.map((g) => (
              <option key={g.id} value={g.id}>
                {groupLabelOf(g)}
              </option>
            ))}
          </select>
        </label>
        <div className="row gap-sm wrap">
          <button
            className="btn btn-small btn-primary"
            disabled={!target.group || !enabled || running}
            onClick={() => actions.rerun(node.id)}
            aria-label="Run loop"
            title="Runs every enabled iteration; unchanged ones come from the cache"
          >
            ▶ Run {enabled} iteration{enabled === 1 ? "" : "s"}
          </button>
          <span className="muted small">
            {list.length} total · {total} override{total === 1 ? "" : "s"}
          </span>
        </div>
        {stray.length > 0 && (
          <div className="snode-error" role="alert">
            <span>Some overrides point at nodes that are no longer in the group; the loop will not run until they are removed.</span>
            <button className="btn btn-small" onClick={() => dispatch({ type: "prune", memberIds: target.members.map((m) => m.id) })} aria-label="Remove stray overrides">
              Remove them
            </button>
          </div>
        )}
      </section>
      <section className="insp-section" aria-label="Iterations">
        <h3>Iterations</h3>
        {list.length ? (
          <ol className="iter-table">
            {list.map((it, i) => (
              <IterationRow key={it.id} it={it} index={i} count={list.length} members={target.members} dispatch={dispatch} />
            ))}
          </ol>
        ) : (
          <p className="muted small">Each iteration runs the group once with its own overrides. Add one, or use the quick variants below.</p>
        )}
        <button className="btn btn-small" onClick={() => dispatch({ type: "add" })} disabled={list.length >= 200} aria-label="Add iteration">
          + Add iteration
        </button>
      </section>
      <QuickAxes members={target.members} dispatch={dispatch} />
    </>
  );
}
