import { NodeResizer, type NodeProps } from "@xyflow/react";
import { memo, useEffect, type CSSProperties } from "react";
import type { FlowNode } from "../lib/graphDoc";
import { loopGrid, type LoopGridRow } from "../lib/loops";
import { categoryColor, useStudio } from "./context";
import { OutputValueView, EngineBadge, isMedia } from "./NodeOutputs";
import { STATUS_LABELS, useAllNodeRuns } from "./runStore";
import { NodeMenuButton } from "./NodeMenuButton";
import { useLoopTarget } from "./useLoopTarget";

function IterationCell({ row, titleOf, multi, previewing, onPreview }: { row: LoopGridRow; titleOf: (id: string) => string; multi: boolean; previewing: boolean; onPreview: () => void }) {
  const states = row.cells.map((c) => c.state).filter(Boolean);
  const running = states.some((s) => s!.status === "running" || s!.status === "queued");
  const failed = row.cells.find((c) => c.state?.status === "failed");
  const outputs = row.cells.flatMap((c) => Object.entries(c.state?.outputs ?? {}).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => ({ key: `${c.memberId}.${k}`, memberId: c.memberId, value: v })));
  const status = failed ? "failed" : running ? "running" : states.length && states.every((s) => s!.status === "cached") ? "cached" : states.length ? states[0]!.status : null;
  const firstMedia = outputs.find((o) => isMedia(o.value))?.value;
  return (
    <li className={`loop-cell ${row.enabled ? "" : "disabled"} ${running ? "stale" : ""}`} aria-label={`Iteration ${row.label}`}>
      <div className="loop-cell-head">
        <span className="loop-cell-label" title={row.label}>{row.label}</span>
        {!row.enabled ? <span className="tag">off</span> : status && status !== "succeeded" && <span className={`status-pill st-${status}`}>{STATUS_LABELS[status as keyof typeof STATUS_LABELS] ?? status}</span>}
        {row.enabled && outputs.length > 0 && (
          <button
            className={`loop-preview-btn ${previewing ? "active" : ""}`}
            aria-pressed={previewing}
            onClick={onPreview}
            aria-label={`Preview iteration ${row.label} on the canvas`}
            title={previewing ? "Back to the group's own outputs" : "Show this iteration's outputs on the group's nodes"}
          >
            👁
          </button>
        )}
      </div>
      {!row.enabled ? (
        <div className="loop-cell-empty">Skipped</div>
      ) : failed ? (
        <div className="loop-cell-empty bad" title={failed.state?.error?.message ?? ""}>{failed.state?.error?.code ?? "Failed"}</div>
      ) : outputs.length ? (
        <div className="loop-cell-outputs">
          {outputs.map((o) => (
            <div key={o.key}>
              {multi && <span className="loop-cell-member">{titleOf(o.memberId)}</span>}
              <OutputValueView value={o.value} label={`${row.label} ${titleOf(o.memberId)}`} compact />
            </div>
          ))}
          {firstMedia && isMedia(firstMedia) && <EngineBadge mediaId={firstMedia.media_id} />}
        </div>
      ) : (
        <div className="loop-cell-empty">{running ? "Running…" : "Not run yet"}</div>
      )}
    </li>
  );
}

/** A loop on the canvas: its target group and every iteration's outputs side by side, labelled by iteration. */
export const LoopNode = memo(function LoopNode({ id, data, selected }: NodeProps<FlowNode>) {
  const { catalog, runStore, actions } = useStudio();
  const spec = catalog.get(data.nodeType);
  const target = useLoopTarget(data.params);
  const all = useAllNodeRuns(runStore);
  const section = runStore.loops(); // re-read whenever useAllNodeRuns changes
  // every member's outputs per iteration (text too), not only the group's end results
  const memberIds = target.members.map((m) => m.id);
  const rows = loopGrid(id, target.loop, memberIds, (cid) => all[cid], section);
  const previewing = runStore.preview();
  // a loop removed from the canvas takes its preview with it
  useEffect(() => () => {
    if (runStore.preview()?.loopId === id) runStore.setPreview(null);
  }, [id, runStore]);
  const togglePreview = (row: LoopGridRow) =>
    runStore.setPreview(
      previewing?.loopId === id && previewing.iterationId === row.iterationId
        ? null
        : { loopId: id, iterationId: row.iterationId, label: row.label, states: Object.fromEntries(row.cells.map((c) => [c.memberId, c.state])) },
    );
  const enabled = target.loop.iterations.filter((it) => it.enabled).length;
  const title = data.title || spec?.title || "Loop";
  const titleOf = (mid: string) => {
    const m = target.members.find((x) => x.id === mid);
    return m?.data.title || catalog.get(m?.data.nodeType ?? "")?.title || mid;
  };
  return (
    <div
      className={`snode loop-node ${selected ? "selected" : ""}`}
      style={{ "--accent": categoryColor(spec?.category ?? "Control") } as CSSProperties}
      aria-label={`${title} node`}
      data-node-type={data.nodeType}
      onContextMenu={(e) => {
        e.preventDefault();
        actions.openMenu(id, e.clientX, e.clientY);
      }}
    >
      <NodeResizer isVisible={!!selected} minWidth={260} minHeight={140} lineClassName="resize-line" handleClassName="resize-handle" />
      <header className="snode-head">
        <span className="loop-icon" aria-hidden="true">↻</span>
        <span className="snode-title">{title}</span>
        <span className="loop-count" aria-label={`${enabled} of ${target.loop.iterations.length} iterations enabled`}>
          {enabled}/{target.loop.iterations.length}
        </span>
        <NodeMenuButton id={id} title={title} />
      </header>
      <p className={`loop-target ${target.group ? "" : "missing"}`}>
        {target.group ? (
          <>
            over <strong>{target.groupLabel}</strong> · {target.members.length} node{target.members.length === 1 ? "" : "s"}
          </>
        ) : (
          "Choose a group in the Inspector"
        )}
      </p>
      {rows.length ? (
        <ul className="loop-grid nodrag" aria-label="Iteration outputs">
          {rows.map((row) => (
            <IterationCell
              key={row.iterationId}
              row={row}
              titleOf={titleOf}
              multi={memberIds.length > 1}
              previewing={previewing?.loopId === id && previewing.iterationId === row.iterationId}
              onPreview={() => togglePreview(row)}
            />
          ))}
        </ul>
      ) : (
        <p className="loop-target muted">No iterations yet: add them in the Inspector.</p>
      )}
    </div>
  );
});
