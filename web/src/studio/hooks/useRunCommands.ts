import { useCallback, useState } from "react";
import { ApiError, api, errorText } from "../../lib/api";
import { toast } from "../../components/toast";
import { type RunProblem, runProblems } from "../runProblems";

const BILLING_CODES = new Set(["INSUFFICIENT_BALANCE", "CREDIT_LIMIT", "BILLING_UNAVAILABLE"]);

/** One sentence for a run refused for money: what it needs and what there is. */
export function billingMessage(e: ApiError): string {
  const d = (e.details ?? {}) as { required?: number; available?: number; limit?: number; used?: number; period?: string };
  if (e.code === "INSUFFICIENT_BALANCE" && d.required !== undefined && d.available !== undefined)
    return `Not enough credits: this run needs ${d.required} and ${d.available} are available.`;
  if (e.code === "CREDIT_LIMIT" && d.limit !== undefined)
    return `This run would pass your ${d.period ?? ""} credit limit in this shared session (${d.used ?? 0} of ${d.limit} used). Ask the session owner to raise it.`.replace("  ", " ");
  return e.message;
}

/**
 * Run, rerun, run-from, cancel and stop for one session. A run is started only after the pending
 * edits are saved (the server runs the saved graph); a refused run's problems are kept for the banner.
 */
export function useRunCommands(sessionId: string, flushSave: () => Promise<boolean>) {
  const [problems, setProblems] = useState<RunProblem[] | null>(null);
  const [billingProblem, setBillingProblem] = useState(false);
  // Whether the refused run was a whole-workflow run (only those offer "Run everything else").
  const [refusedFull, setRefusedFull] = useState(false);

  const execute = useCallback(
    async (what: () => Promise<unknown>, full = false) => {
      const saved = await flushSave();
      if (!saved) {
        toast("The workflow could not be saved, so it was not run. See the message at the top.", "error");
        return;
      }
      setProblems(null);
      setBillingProblem(false);
      setRefusedFull(full);
      try {
        await what();
      } catch (e) {
        if (e instanceof ApiError && BILLING_CODES.has(e.code)) {
          // Credits, not the workflow, stop this run: say so where the run was asked for, with the way out.
          setBillingProblem(true);
          setProblems([{ message: billingMessage(e) }]);
          return;
        }
        const list = runProblems(e);
        if (list.length) setProblems(list);
        toast(errorText(e), "error");
      }
    },
    [flushSave],
  );
  const runAll = useCallback(() => void execute(() => api.execute(sessionId), true), [execute, sessionId]);
  /** Run what can run: the server skips unconnected nodes and what follows them, and reports them as skipped. */
  const runRest = useCallback(() => void execute(() => api.execute(sessionId, "full", undefined, true)), [execute, sessionId]);
  const rerun = useCallback((id: string) => void execute(() => api.rerun(sessionId, id)), [execute, sessionId]);
  const runFrom = useCallback((id: string) => void execute(() => api.execute(sessionId, "from_node", id)), [execute, sessionId]);
  const cancel = useCallback(
    (id: string) => {
      api.cancelNode(sessionId, id).then(() => toast("Cancel requested", "info"), (e) => toast(errorText(e), "error"));
    },
    [sessionId],
  );
  const stop = useCallback(() => {
    api.stop(sessionId).then(() => toast("Stopping the run…", "info"), (e) => toast(errorText(e), "error"));
  }, [sessionId]);
  const dismissProblems = useCallback(() => {
    setProblems(null);
    setBillingProblem(false);
  }, []);

  return { runAll, runRest, rerun, runFrom, cancel, stop, problems, billingProblem, refusedFull, dismissProblems };
}
