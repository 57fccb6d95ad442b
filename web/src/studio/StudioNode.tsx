import { Handle, NodeResizer, Position, useStore, type NodeProps } from "@xyflow/react";
import { memo, type CSSProperties } from "react";
import type { FlowNode } from "../lib/graphDoc";
import { formFields } from "../lib/schemaForm";
import { canLink, linkFedParams, socketColor } from "../lib/sockets";
import type { NodeRunState, SocketSpec } from "../lib/types";
import { categoryColor, isUploadSpec, uploadKind, useStudio, type DragOrigin } from "./context";
import { NodeOutputs, outputWarning } from "./NodeOutputs";
import { hasPreview, NodePreview } from "./NodePreview";
import { STATUS_LABELS, useNodeRun } from "./runStore";
import { NodeMenuButton } from "./NodeMenuButton";
import { UploadZone } from "./UploadZone";

/** Skipped because of a node mode (bypass, mute): said calmly, not as an error. */
const SET_ASIDE = new Set(["BYPASSED", "MUTED", "UPSTREAM_MUTED"]);

/** Which inputs of a node have a link, without re-rendering on unrelated edge changes. */
function useConnectedInputs(nodeId: string): string {
  return useStore((s) =>
    s.edges
      .filter((e) => e.target === nodeId)
      .map((e) => e.targetHandle ?? "")
      .sort()
      .join("|"),
  );
}

function handleState(drag: DragOrigin | null, nodeId: string, side: "source" | "target", type: string): string {
  if (!drag || drag.nodeId === nodeId || drag.handleType === side) return "";
  const ok = side === "target" ? canLink(drag.socketType, type) : canLink(type, drag.socketType);
  return ok ? "accepts" : "refuses";
}

function SocketRow({ nodeId, socket, side, connected, drag }: { nodeId: string; socket: SocketSpec; side: "source" | "target"; connected: boolean; drag: DragOrigin | null }) {
  const color = socketColor(socket.type);
  const missing = side === "target" && socket.required && !connected;
  const style = { "--sock": color } as CSSProperties;
  return (
    <div className={`sock-row sock-${side} ${missing ? "missing" : ""}`} style={style} title={socket.description ?? `${socket.label} (${socket.type})`}>
      <Handle
        type={side}
        position={side === "target" ? Position.Left : Position.Right}
        id={socket.name}
        className={`sock sock-${socket.type} ${connected ? "linked" : ""} ${handleState(drag, nodeId, side, socket.type)}`}
        aria-label={`${socket.label} ${side === "target" ? "input" : "output"} (${socket.type})`}
        data-socket-type={socket.type}
      />
      <span className="sock-label">{socket.label}</span>
      {missing && (
        <span className="sock-missing" aria-label={`${socket.label} is required and not connected`} title="Required: connect this input">
          *
        </span>
      )}
    </div>
  );
}

function StatusPill({ run }: { run: NodeRunState }) {
  if (run.previewOf !== undefined) {
    return (
      <span className="status-pill st-preview" role="status" aria-label={`Status: Previewing ${run.previewOf}`} title="Outputs of this loop iteration, shown here from the loop node">
        ↻ {run.previewOf}
      </span>
    );
  }
  if (run.status === "idle" && run.outdated && run.outputs) {
    return (
      <span className="status-pill st-outdated" role="status" aria-label="Status: Outdated" title="Its settings or inputs changed since this output was made: run it to update">
        Outdated
      </span>
    );
  }
  if (run.status === "idle") return null;
  return (
    <span className={`status-pill st-${run.status}`} role="status" aria-label={`Status: ${STATUS_LABELS[run.status]}`}>
      {run.status === "running" ? `${Math.round(run.progress * 100)}%` : STATUS_LABELS[run.status]}
    </span>
  );
}

function ParamSummary({ params, schema, fed }: { params: Record<string, unknown>; schema: Parameters<typeof formFields>[0]; fed: Map<string, string> }) {
  const fields = formFields(schema).filter((f) => f.kind !== "media" && f.kind !== "json" && f.kind !== "loop-table");
  const shown = fields.slice(0, 4);
  if (!shown.length) return null;
  return (
    <dl className="param-summary">
      {shown.map((f) => {
        const v = params[f.name] ?? f.default;
        const linked = fed.get(f.name);
        let text = v === undefined || v === null || v === "" ? "—" : String(v);
        if (f.kind === "checkbox") text = v ? "on" : "off";
        if (linked) {
          // The linked input replaces this parameter when the node runs: say so instead of showing it (or "Empty").
          return (
            <div key={f.name} className={f.kind === "textarea" ? "param-long" : ""}>
              <dt>{f.label}</dt>
              <dd className="from-link" title={`Comes from the link into the ${linked} input`} aria-label={`${f.label} comes from the link`}>
                ← from link
              </dd>
            </div>
          );
        }
        if (f.kind === "textarea") {
          return (
            <div key={f.name} className="param-long">
              <dt>{f.label}</dt>
              <dd className={text === "—" ? "empty" : ""}>{text === "—" ? "Empty — write it in the Inspector" : text}</dd>
            </div>
          );
        }
        return (
          <div key={f.name}>
            <dt>{f.label}</dt>
            <dd>
              {f.kind === "color" && <span className="swatch" style={{ background: String(v) }} aria-hidden="true" />}
              {text}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** Text outputs that only repeat a parameter (a Text node's own text) are not shown twice. */
function echoFree(outputs: NodeRunState["outputs"], params: Record<string, unknown>): NodeRunState["outputs"] {
  if (!outputs) return outputs;
  const values = new Set(Object.values(params).filter((v) => typeof v === "string"));
  const kept = Object.fromEntries(Object.entries(outputs).filter(([, v]) => !(typeof v === "string" && values.has(v))));
  return Object.keys(kept).length ? kept : null;
}

/** One component for every catalog node type: sockets, parameters, state and outputs come from the catalog and the run. */
export const StudioNode = memo(function StudioNode({ id, data, selected }: NodeProps<FlowNode>) {
  const { catalog, runStore, actions, drag } = useStudio();
  const spec = catalog.get(data.nodeType);
  const run = useNodeRun(runStore, id);
  const connectedKey = useConnectedInputs(id);
  const connected = new Set(connectedKey.split("|"));
  const title = data.title || spec?.title || data.nodeType;
  const accent = categoryColor(spec?.category);
  const upload = isUploadSpec(spec);
  const warning = run.status === "queued" || run.status === "running" ? null : outputWarning(run.outputs);

  if (!spec) {
    return (
      <div className="snode unknown" aria-label={`Unknown node ${data.nodeType}`}>
        <header className="snode-head">
          <span className="snode-title">{title}</span>
        </header>
        <p className="snode-warn">This node type ({data.nodeType}) is not installed on this studio.</p>
      </div>
    );
  }

  return (
    <div
      className={`snode st-${run.status} ${selected ? "selected" : ""} ${upload ? "upload-node" : ""} ${data.mode && data.mode !== "normal" ? `mode-${data.mode}` : ""}`}
      style={{ "--accent": accent } as CSSProperties}
      aria-label={`${title} node`}
      data-node-type={data.nodeType}
      onContextMenu={(e) => {
        e.preventDefault();
        actions.openMenu(id, e.clientX, e.clientY);
      }}
    >
      <NodeResizer isVisible={!!selected && upload} minWidth={240} minHeight={120} lineClassName="resize-line" handleClassName="resize-handle" />
      <header className="snode-head">
        <span className="cat-dot" aria-hidden="true" />
        <span className="snode-title" title={spec.description}>{title}</span>
        {spec.gpu && <span className="gpu-badge" title="Runs on the GPU">GPU</span>}
        {data.mode === "bypass" && (
          <span className="mode-badge mode-badge-bypass" role="status" aria-label="Bypassed" title="Bypassed: its inputs pass straight through (Ctrl+B)">
            Bypassed
          </span>
        )}
        {data.mode === "mute" && (
          <span className="mode-badge mode-badge-mute" role="status" aria-label="Muted" title="Muted: left out of runs, with what only it feeds (Ctrl+M)">
            Muted
          </span>
        )}
        <StatusPill run={run} />
        <NodeMenuButton id={id} title={title} />
      </header>
      {run.status === "running" && (
        <div className="progress" role="progressbar" aria-label={`${title} progress`} aria-valuenow={Math.round(run.progress * 100)} aria-valuemin={0} aria-valuemax={100}>
          <div style={{ width: `${Math.max(4, run.progress * 100)}%` }} />
        </div>
      )}
      {(spec.inputs.length > 0 || spec.outputs.length > 0) && (
        <div className="snode-sockets">
          <div className="sock-col">
            {spec.inputs.map((s) => (
              <SocketRow key={s.name} nodeId={id} socket={s} side="target" connected={connected.has(s.name)} drag={drag} />
            ))}
          </div>
          <div className="sock-col sock-col-out">
            {spec.outputs.map((s) => (
              <SocketRow key={s.name} nodeId={id} socket={s} side="source" connected={false} drag={drag} />
            ))}
          </div>
        </div>
      )}
      {upload ? <UploadZone nodeId={id} data={data} kind={uploadKind(spec)} /> : <ParamSummary params={data.params} schema={spec.params_schema} fed={linkFedParams(spec.inputs, Object.keys(spec.params_schema?.properties ?? {}), connected)} />}
      {run.message && run.status === "running" && <p className="snode-msg">{run.message}</p>}
      {warning && (
        <p className="snode-warning" role="note" aria-label={`${title} warning`}>
          ⚠ {warning}
        </p>
      )}
      {run.error && (run.status === "failed" || run.status === "skipped" || run.status === "canceled") && (
        <div className={`snode-error ${SET_ASIDE.has(run.error.code) ? "set-aside" : ""}`} role="alert" aria-label={`${title} error`}>
          <code>{run.error.code}</code>
          <span>{run.error.message}</span>
        </div>
      )}
      {!upload && hasPreview(spec) && (
        <NodePreview title={title} outputs={run.outputs} sockets={spec.outputs} outdated={run.outdated} busy={run.status === "queued" || run.status === "running"} />
      )}
      {!upload && !hasPreview(spec) && (
        <div className={`${run.status === "queued" || run.status === "running" ? "stale" : ""} ${run.outdated ? "outdated" : ""}`}>
          <NodeOutputs outputs={echoFree(run.outputs, data.params)} sockets={spec.outputs} />
        </div>
      )}
      {data.notes && <p className="snode-notes" title="Notes">{data.notes}</p>}
    </div>
  );
});
