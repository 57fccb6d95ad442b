import { useCallback, useState } from "react";
import { api, errorText } from "../../lib/api";
import { toast } from "../../components/toast";
import { runProblems } from "../runProblems";

/**
 * Run, rerun, run-from, cancel and stop for one session. A run is started only after the pending
 * edits are saved (the server runs the saved graph); a refused run's problems are kept for the banner.
 */
export function useRunCommands(sessionId: string, flushSave: () => Promise<boolean>) {
  const [problems, setProblems] = useState<string[] | null>(null);

  const execute = useCallback(
    async (what: () => Promise<unknown>) => {
      const saved = await flushSave();
      if (!saved) {
        toast("The workflow could not be saved, so it was not run. See the message at the top.", "error");
        return;
      }
      setProblems(null);
      try {
        await what();
      } catch (e) {
        const list = runProblems(e);
        if (list.length) setProblems(list);
        toast(errorText(e), "error");
      }
    },
    [flushSave],
  );
  const runAll = useCallback(() => void execute(() => api.execute(sessionId)), [execute, sessionId]);
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
  const dismissProblems = useCallback(() => setProblems(null), []);

  return { runAll, rerun, runFrom, cancel, stop, problems, dismissProblems };
}
