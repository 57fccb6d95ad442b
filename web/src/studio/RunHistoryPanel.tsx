import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { countsText, durationText, modeText, whenText, type HistoryRun } from "../lib/runHistory";
import { EmptyState, Modal } from "../components/ui";
import { toast } from "../components/toast";
import type { PastRun, RunSummary } from "./runStore";

/**
 * The session's runs: what waits in the queue (each cancellable) and past runs, newest first, with
 * when, who, what, how long, the outcome, the nodes that ran and the credits. "Show outputs" puts a
 * past run's outputs on the canvas.
 */
export function RunHistoryPanel(p: {
  sessionId: string;
  run: RunSummary;
  canRun: boolean;
  titleOf: (nodeId: string) => string | undefined;
  onShowRun: (run: PastRun) => void;
  onClose: () => void;
}) {
  const [runs, setRuns] = useState<HistoryRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.history(p.sessionId).then(
      (h) => setRuns(h.items as HistoryRun[]),
      (e) => setError(errorText(e)),
    );
  }, [p.sessionId]);
  // Reloaded whenever a run starts, ends or the queue moves.
  useEffect(load, [load, p.run.runId, p.run.status, p.run.queued.length]);

  const cancel = (runId: string) =>
    api.cancelQueued(p.sessionId, runId).then(
      (r) => toast(r.canceled ? "Queued run canceled" : "That run already started", r.canceled ? "success" : "info"),
      (e) => toast(errorText(e), "error"),
    );
  const show = (runId: string) =>
    api.run(p.sessionId, runId).then(
      (r) => p.onShowRun(r as unknown as PastRun),
      (e) => toast(errorText(e), "error"),
    );

  return (
    <Modal title="Runs" onClose={p.onClose} wide>
      <section aria-label="Queue">
        <h3 className="section-title">Waiting {p.run.queued.length ? `(${p.run.queued.length})` : ""}</h3>
        {p.run.queued.length === 0 ? (
          <p className="muted small">Nothing waits. Press Run while a run is going to queue another.</p>
        ) : (
          <ol className="run-list" aria-label="Queued runs">
            {p.run.queued.map((q, i) => (
              <li key={q.run_id} className="run-row" aria-label={`Queued run ${i + 1}`}>
                <span className="run-pos">{i + 1}</span>
                <span className="run-what">{modeText(q.mode, q.target_node_id, p.titleOf)}</span>
                <span className="muted small">{whenText(q.queued_at)}</span>
                {p.canRun && (
                  <button className="btn btn-small" onClick={() => void cancel(q.run_id)} aria-label={`Cancel queued run ${i + 1}`}>
                    Cancel
                  </button>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-label="History">
        <h3 className="section-title">History</h3>
        {error && <p className="error-text">{error}</p>}
        {runs === null && !error && <p className="muted small">Loading…</p>}
        {runs?.length === 0 && <EmptyState title="No runs yet" icon="▷"><p className="muted">Run the workflow to see it here.</p></EmptyState>}
        {runs && runs.length > 0 && (
          <div className="run-table-wrap">
          <table className="run-table" aria-label="Past runs">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>Took</th>
                <th>Status</th>
                <th>Nodes</th>
                <th>Credits</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.run_id} className={p.run.viewing?.runId === r.run_id ? "viewing" : undefined}>
                  <td title={new Date(r.created_at * 1000).toLocaleString()}>{whenText(r.created_at)}</td>
                  <td className="run-who">
                    <span title={r.user_email ?? undefined}>{r.user_email ?? "—"}</span>
                  </td>
                  <td>{modeText(r.mode, r.target_node_id, p.titleOf)}</td>
                  <td>{durationText(r.duration)}</td>
                  <td>
                    <span className={`run-state run-${r.status}`}>{r.status}</span>
                  </td>
                  <td className="small">{countsText(r.counts)}</td>
                  <td>{r.credits}</td>
                  <td>
                    {r.status !== "queued" && r.status !== "running" && (
                      <button className="btn btn-small" onClick={() => void show(r.run_id)} aria-label={`Show outputs of the run ${whenText(r.created_at)}`}>
                        Open
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        )}
      </section>
    </Modal>
  );
}
