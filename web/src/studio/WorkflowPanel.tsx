import { SocketLegend } from "./SocketLegend";
import type { RunSummary } from "./runStore";

/** The right panel when no single node is selected: the workflow at a glance and selection actions. */
export function WorkflowPanel(p: {
  selectedCount: number;
  nodeCount: number;
  run: RunSummary;
  onGroup: () => void;
  onDuplicate: () => void;
  onDelete: () => void;
  onHelp: () => void;
  onExport?: () => void;
  onImport?: () => void;
}) {
  if (p.selectedCount > 1) {
    return (
      <div className="inspector">
        <header className="insp-head">
          <h2>{p.selectedCount} nodes selected</h2>
          <p className="muted small">Move them together, group them, or copy them into another session.</p>
        </header>
        <section className="insp-section">
          <div className="row gap-sm wrap">
            <button className="btn btn-small" onClick={p.onGroup} aria-label="Group selected nodes">
              Group
            </button>
            <button className="btn btn-small" onClick={p.onDuplicate} aria-label="Duplicate selected nodes">
              Duplicate
            </button>
            <button className="btn btn-small btn-danger" onClick={p.onDelete} aria-label="Delete selected nodes">
              Delete
            </button>
          </div>
        </section>
      </div>
    );
  }
  return (
    <div className="inspector">
      <header className="insp-head">
        <h2>Workflow</h2>
        <p className="muted small">
          {p.nodeCount} node{p.nodeCount === 1 ? "" : "s"}
          {p.run.status ? ` · last run ${p.run.status}` : " · not run yet"}
        </p>
      </header>
      {p.run.error && (
        <section className="insp-section">
          <div className="snode-error" role="alert">
            <code>{p.run.error.code}</code>
            <span>{p.run.error.message}</span>
          </div>
        </section>
      )}
      <section className="insp-section">
        <h3>How it works</h3>
        <ol className="howto">
          <li>Add inputs: Text or Upload nodes.</li>
          <li>Drag from an output socket to a matching input. Colors are types.</li>
          <li>Run the workflow, then rerun single nodes as you refine.</li>
        </ol>
        <p className="muted small">Select a node to edit its parameters, title and notes.</p>
      </section>
      <section className="insp-section">
        <h3>Socket types</h3>
        <SocketLegend />
      </section>
      <section className="insp-section">
        <h3>Workflow file</h3>
        <div className="row gap-sm wrap">
          {p.onExport && (
            <button className="btn btn-small" onClick={p.onExport} aria-label="Export workflow as JSON">
              Export JSON
            </button>
          )}
          {p.onImport && (
            <button className="btn btn-small" onClick={p.onImport} aria-label="Import workflow from JSON">
              Import JSON…
            </button>
          )}
        </div>
        <p className="muted small">Paste workflow JSON onto the canvas with Ctrl+V to add it.</p>
      </section>
      <section className="insp-section">
        <button className="btn btn-small" onClick={p.onHelp} aria-label="Show keyboard shortcuts">
          Keyboard shortcuts
        </button>
      </section>
    </div>
  );
}
