import { useEffect, useState } from "react";
import { api } from "../lib/api";
import type { RunEvent, RunStore } from "./runStore";

const EVENTS = ["snapshot", "run.started", "node.status", "node.progress", "run.finished"];

/** Subscribes to GET /api/v2/session/events (SSE, cookie auth) and feeds the run store. */
export function useRunEvents(sessionId: string, store: RunStore): "connecting" | "live" | "reconnecting" {
  const [state, setState] = useState<"connecting" | "live" | "reconnecting">("connecting");
  useEffect(() => {
    const es = new EventSource(`/api/v2/session/events?session_id=${encodeURIComponent(sessionId)}`);
    const on = (e: MessageEvent) => {
      try {
        const ev = JSON.parse(e.data) as RunEvent;
        store.apply(ev);
        // The finished run's `loops` section labels every iteration's outputs.
        if (ev.type === "run.finished") {
          api.execution(sessionId).then((r) => r.run && store.apply({ type: "snapshot", run: r.run as never }), () => undefined);
        }
      } catch {
        /* ignore a malformed event */
      }
    };
    for (const name of EVENTS) es.addEventListener(name, on as EventListener);
    es.onopen = () => setState("live");
    es.onerror = () => setState("reconnecting");
    return () => es.close();
  }, [sessionId, store]);
  return state;
}
