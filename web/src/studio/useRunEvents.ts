import { useEffect, useRef, useState } from "react";
import { api } from "../lib/api";
import { navigate } from "../lib/router";
import { runToastKey, settleToast, toast, type ToastKind } from "../components/toast";
import { RUN_EVENT_TYPES, type RunEvent, type RunFinishedEvent, type RunStore, type SessionSavedEvent } from "./runStore";

/** What a "Running …" toast becomes when its run ends, whatever the outcome. */
export function runOutcome(ev: RunFinishedEvent): [string, ToastKind] {
  if (ev.status === "succeeded") return ["Run finished.", "success"];
  if (ev.status === "failed") return [`Run failed: ${ev.error?.message ?? "see the failed node"}`, "error"];
  return [`Run ${ev.status}.`, "info"];
}

/**
 * Subscribes to GET /api/v2/session/events (SSE, cookie auth) and feeds the run store.
 * After each snapshot (the session opened, or the stream reconnected) the stored outputs that are
 * still current (GET /session/outputs) are merged in, so every node shows its up-to-date output,
 * not only the nodes of the latest run. After a run, `run.finished` carries those outputs and the
 * loops' iterations itself; only a server that leaves them out is asked again.
 */
export function useRunEvents(
  sessionId: string,
  store: RunStore,
  graphIds: () => string[],
  onSaved?: (ev: SessionSavedEvent) => void,
): "connecting" | "live" | "reconnecting" {
  const [state, setState] = useState<"connecting" | "live" | "reconnecting">("connecting");
  const ids = useRef(graphIds);
  ids.current = graphIds;
  const saved = useRef(onSaved);
  saved.current = onSaved;
  useEffect(() => {
    let closed = false;
    let asked = 0;
    const refreshSaved = (afterRun: boolean) => {
      const mine = ++asked;
      api.savedOutputs(sessionId).then(
        (saved) => {
          if (!closed && mine === asked) store.applySaved(saved, ids.current(), afterRun);
        },
        () => undefined,
      );
    };
    const es = new EventSource(`/api/v2/session/events?session_id=${encodeURIComponent(sessionId)}`);
    const on = (e: MessageEvent) => {
      try {
        const ev = JSON.parse(e.data) as RunEvent;
        store.apply(ev);
        if (ev.type === "queue.changed" && ev.dropped)
          toast(`A queued run could not start: ${ev.dropped.error.message} (${ev.dropped.error.code})`, "error");
        if (ev.type === "snapshot") {
          refreshSaved(false);
          // What waits in the queue now (later changes come as queue.changed events).
          api.queue(sessionId).then((q) => !closed && store.apply({ type: "queue.changed", items: q.items }), () => undefined);
          // A run that ended before the stream opened (a quick recipe run) settles its toast too.
          const run = ev.run;
          if (run && run.status !== "queued" && run.status !== "running")
            settleToast(runToastKey(sessionId), ...runOutcome({ type: "run.finished", run_id: run.run_id, status: run.status, error: run.error }));
        }
        if (ev.type === "run.finished") {
          settleToast(runToastKey(sessionId), ...runOutcome(ev));
          if (ev.outputs) {
            asked++; // an answer still on its way is older than this one
            store.applySaved(ev.outputs, ids.current(), true);
          } else {
            api
              .execution(sessionId)
              .then((r) => !closed && r.run && store.apply({ type: "snapshot", run: r.run as never }), () => undefined)
              .finally(() => !closed && refreshSaved(true));
          }
        }
      } catch {
        /* ignore a malformed event */
      }
    };
    for (const name of RUN_EVENT_TYPES) es.addEventListener(name, on as EventListener);
    es.addEventListener("session.saved", ((e: MessageEvent) => {
      try {
        saved.current?.(JSON.parse(e.data) as SessionSavedEvent);
      } catch {
        /* ignore a malformed event */
      }
    }) as EventListener);
    // The owner revoked this user's access (or they left): the stream ends for good, and so does the page.
    es.addEventListener("access.revoked", () => {
      es.close();
      if (closed) return;
      toast("Your access to this session was removed by its owner.", "error");
      navigate("/");
    });
    es.onopen = () => setState("live");
    es.onerror = () => setState("reconnecting");
    return () => {
      closed = true;
      es.close();
    };
  }, [sessionId, store]);
  return state;
}
