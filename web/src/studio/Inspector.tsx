import { useStore } from "@xyflow/react";
import type { FlowNode } from "../lib/graphDoc";
import { formFields } from "../lib/schemaForm";
import { linkFedParams, socketColor } from "../lib/sockets";
import { LOOP_TYPE } from "../lib/loops";
import { isUploadSpec, uploadKind, useStudio } from "./context";
import { LoopEditor } from "./LoopEditor";
import { NodeOutputs } from "./NodeOutputs";
import { ParamField } from "./ParamField";
import { STATUS_LABELS, useNodeRun } from "./runStore";
import { UploadZone } from "./UploadZone";

function InputsList({ node }: { node: FlowNode }) {
  const { catalog } = useStudio();
  const spec = catalog.get(node.data.nodeType);
  const allEdges = useStore((s) => s.edges);
  const allNodes = useStore((s) => s.nodes);
  const links = allEdges.filter((e) => e.target === node.id);
  const titleOf = (id: string) => {
    const n = allNodes.find((x) => x.id === id);
    const d = n?.data as FlowNode["data"] | undefined;
    return d?.title || catalog.get(d?.nodeType ?? "")?.title || id;
  };
  if (!spec?.inputs.length) return null;
  return (
    <section className="insp-section" aria-label="Inputs">
      <h3>Inputs</h3>
      <ul className="insp-inputs">
        {spec.inputs.map((s) => {
          const link = links.find((e) => e.targetHandle === s.name);
          const state = link ? "connected" : s.required ? "missing" : "optional";
          return (
            <li key={s.name} className={`in-${state}`}>
              <span className="dot" style={{ background: socketColor(s.type) }} aria-hidden="true" />
              <span className="grow">
                {s.label} <span className="muted small">{s.type}</span>
              </span>
              <span className={`in-state`} aria-label={`${s.label}: ${state}`}>
                {link ? `← ${titleOf(link.source)}` : s.required ? "missing" : "optional"}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function RunControls({ node }: { node: FlowNode }) {
  const { runStore, actions, can } = useStudio();
  const run = useNodeRun(runStore, node.id);
  const active = run.status === "queued" || run.status === "running";
  return (
    <section className="insp-section" aria-label="Run">
      <div className="row gap-sm wrap">
        <span className={`status-pill st-${run.status}`}>{STATUS_LABELS[run.status]}</span>
        {run.status === "running" && <span className="muted small">{Math.round(run.progress * 100)}% {run.message ?? ""}</span>}
      </div>
      {run.error && (
        <div className="snode-error" role="alert">
          <code>{run.error.code}</code>
          <span>{run.error.message}</span>
        </div>
      )}
      {can.run && <div className="row gap-sm wrap">
        <button className="btn btn-small btn-primary" onClick={() => actions.rerun(node.id)} disabled={active} aria-label="Rerun this node">
          ↻ Rerun node
        </button>
        <button className="btn btn-small" onClick={() => actions.runFrom(node.id)} disabled={active} aria-label="Run from this node">
          Run from here
        </button>
        {active && (
          <button className="btn btn-small btn-danger" onClick={() => actions.cancel(node.id)} aria-label="Cancel this node">
            Cancel
          </button>
        )}
      </div>}
    </section>
  );
}

function OutputsSection({ node }: { node: FlowNode }) {
  const { runStore, catalog } = useStudio();
  const run = useNodeRun(runStore, node.id);
  const spec = catalog.get(node.data.nodeType);
  if (!run.outputs || !spec) return null;
  return (
    <section className="insp-section" aria-label="Latest outputs">
      <h3>{run.outdated ? "Latest output (outdated: its settings or inputs changed)" : "Latest output"}</h3>
      <NodeOutputs outputs={run.outputs} sockets={spec.outputs} large />
    </section>
  );
}

/** The selected node's title, notes, inputs and every parameter of its JSON Schema. */
export function Inspector({ node }: { node: FlowNode }) {
  const { catalog, actions, can } = useStudio();
  const spec = catalog.get(node.data.nodeType);
  const loop = node.data.nodeType === LOOP_TYPE;
  const fields = loop ? [] : formFields(spec?.params_schema);
  const upload = isUploadSpec(spec);
  const linkedKey = useStore((s) =>
    s.edges
      .filter((e) => e.target === node.id)
      .map((e) => e.targetHandle ?? "")
      .sort()
      .join("|"),
  );
  const fed = spec ? linkFedParams(spec.inputs, fields.map((f) => f.name), new Set(linkedKey.split("|"))) : new Map<string, string>();
  const socketLabel = (name: string) => spec?.inputs.find((s) => s.name === name)?.label ?? name;
  return (
    <div className="inspector" aria-label="Inspector">
      {!can.edit && (
        <p className="readonly-note small" role="note">
          Read-only: your role in this session cannot change the workflow.
        </p>
      )}
      <fieldset className="insp-fields" disabled={!can.edit} aria-label="Node settings">
      <header className="insp-head">
        <span className="muted small">{spec?.category ?? "Unknown"} · {node.data.nodeType}</span>
        <input
          className="insp-title"
          value={node.data.title ?? ""}
          placeholder={spec?.title ?? node.data.nodeType}
          aria-label="Node title"
          onChange={(e) => actions.updateNode(node.id, { title: e.target.value || null }, `title:${node.id}`)}
        />
        {spec?.description && <p className="muted small">{spec.description.split(/\n\s*\n/)[0]}</p>}
      </header>
      </fieldset>
      {spec?.executable && <RunControls node={node} />}
      <fieldset className="insp-fields" disabled={!can.edit} aria-label="Node parameters">
      {loop && <LoopEditor node={node} />}
      <InputsList node={node} />
      {fields.length > 0 && (
        <section className="insp-section" aria-label="Parameters">
          <h3>Parameters</h3>
          {fields.map((f) =>
            f.kind === "media" ? (
              upload ? (
                <div className="pfield" key={f.name}>
                  <span className="pfield-label">Media</span>
                  <UploadZone nodeId={node.id} data={node.data} kind={uploadKind(spec)} />
                </div>
              ) : null
            ) : (
              <div key={f.name} className={fed.has(f.name) ? "pfield-fed" : undefined}>
                <ParamField
                  field={f}
                  value={node.data.params[f.name]}
                  placeholder={f.presetDefaults?.[String(node.data.params.preset ?? "")]}
                  siblings={node.data.params}
                  onChange={(v, coalesce) => actions.updateParams(node.id, { [f.name]: v }, coalesce ? `param:${node.id}:${f.name}` : undefined)}
                />
                {fed.has(f.name) && (
                  <p className="help small linked-note" aria-label={`${f.label} comes from the link`}>
                    ← From the link into {socketLabel(fed.get(f.name)!)}: this value is used only when that input is unlinked.
                  </p>
                )}
              </div>
            ),
          )}
        </section>
      )}
      {node.data.nodeType === "group" && (
        <section className="insp-section" aria-label="Group actions">
          <p className="muted small">A loop repeats this group once per iteration, each with its own overrides (seeds, prompts, colors…).</p>
          <div className="row gap-sm wrap">
            {catalog.has(LOOP_TYPE) && (
              <button className="btn btn-small btn-primary" onClick={() => actions.addLoop(node.id)} aria-label="Add loop">
                ↻ Add loop
              </button>
            )}
            <button className="btn btn-small" onClick={() => actions.ungroup(node.id)} aria-label="Ungroup">
              Ungroup
            </button>
          </div>
        </section>
      )}
      <section className="insp-section" aria-label="Notes">
        <h3>Notes</h3>
        <textarea
          rows={3}
          value={node.data.notes ?? ""}
          placeholder="Why this node is here, what to try next…"
          aria-label="Node notes"
          onChange={(e) => actions.updateNode(node.id, { notes: e.target.value || null }, `notes:${node.id}`)}
        />
      </section>
      </fieldset>
      <OutputsSection node={node} />
    </div>
  );
}
