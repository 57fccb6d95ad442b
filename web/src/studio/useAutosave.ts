import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "../lib/api";
import type { Graph, SessionDoc, Viewport } from "../lib/types";

export type SaveState =
  | { kind: "saved" }
  | { kind: "dirty" }
  | { kind: "saving" }
  | { kind: "conflict"; current?: number }
  | { kind: "behind"; version: number }
  | { kind: "error"; message: string };

interface Pending {
  graph: Graph;
  key: string;
  viewport: Viewport;
  tabs: unknown[];
}

/**
 * Debounced PUT /sessions/{id}/flow with the version the edit was based on.
 * A 409 stops autosave and reports a conflict; it never retries over the other write.
 */
export function useAutosave(session: SessionDoc, delay = 700) {
  const version = useRef(session.version);
  const savedKey = useRef<string | null>(null);
  const savedMeta = useRef<string>("");
  const latest = useRef<Pending | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const inflight = useRef<Promise<boolean> | null>(null);
  const conflicted = useRef(false);
  /** The graph as this tab last saved (or loaded) it: what its own edits are measured from. */
  const base = useRef<Graph | null>(null);
  const [state, setState] = useState<SaveState>({ kind: "saved" });

  const flush = useCallback(async (): Promise<boolean> => {
    window.clearTimeout(timer.current);
    if (conflicted.current) return false;
    if (inflight.current) await inflight.current;
    const p = latest.current;
    if (!p) return true;
    const meta = JSON.stringify([p.viewport, p.tabs]);
    if (p.key === savedKey.current && meta === savedMeta.current) {
      setState({ kind: "saved" });
      return true;
    }
    setState({ kind: "saving" });
    const job = (async () => {
      try {
        const doc = await api.putFlow(session.id, { graph: p.graph, version: version.current, viewport: p.viewport, tabs: p.tabs });
        version.current = doc.version;
        savedKey.current = p.key;
        base.current = p.graph;
        savedMeta.current = meta;
        const again = latest.current && (latest.current.key !== p.key || JSON.stringify([latest.current.viewport, latest.current.tabs]) !== meta);
        setState((s) => (s.kind === "behind" && s.version > doc.version ? s : again ? { kind: "dirty" } : { kind: "saved" }));
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.code === "GRAPH_VERSION_CONFLICT") {
          conflicted.current = true;
          const details = e.details as { current_version?: number } | undefined;
          setState({ kind: "conflict", current: details?.current_version });
        } else {
          setState({ kind: "error", message: e instanceof ApiError ? `${e.message} (${e.code})` : String(e) });
        }
        return false;
      } finally {
        inflight.current = null;
      }
    })();
    inflight.current = job;
    const ok = await job;
    if (ok && latest.current && latest.current.key !== savedKey.current) return flush();
    return ok;
  }, [session.id]);

  /** Records the newest document; saves after `delay` ms of quiet. */
  const schedule = useCallback(
    (p: Pending, initial = false) => {
      latest.current = p;
      if (initial) {
        base.current = p.graph;
        savedKey.current = p.key;
        savedMeta.current = JSON.stringify([p.viewport, p.tabs]);
        return;
      }
      if (conflicted.current) return;
      if (p.key === savedKey.current && JSON.stringify([p.viewport, p.tabs]) === savedMeta.current) return;
      setState((s) => (s.kind === "saving" || s.kind === "dirty" ? s : { kind: "dirty" }));
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => void flush(), delay);
    },
    [delay, flush],
  );

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (latest.current && latest.current.key !== savedKey.current) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => {
      window.removeEventListener("beforeunload", warn);
      window.clearTimeout(timer.current);
    };
  }, []);

  /** Another tab saved `newer` (from the event stream): this tab is behind until it takes that version. */
  const noteRemoteSave = useCallback((newer: number): boolean => {
    if (newer <= version.current || conflicted.current) return false;
    setState({ kind: "behind", version: newer });
    return true;
  }, []);

  /** Whether this tab has edits it has not saved yet (or is saving them now). */
  const hasUnsaved = useCallback(
    () => !!inflight.current || (!!latest.current && latest.current.key !== savedKey.current),
    [],
  );

  /**
   * Takes the other version as the new base (after the canvas re-applied its own edits on top):
   * autosave resumes from that version; what differs from it is saved next.
   */
  const adopt = useCallback((doc: { version: number; graph: Graph }, key: string) => {
    window.clearTimeout(timer.current);
    conflicted.current = false;
    version.current = doc.version;
    base.current = doc.graph;
    savedKey.current = key;
    setState({ kind: "saved" });
  }, []);

  return { state, schedule, flush, version, base, noteRemoteSave, hasUnsaved, adopt };
}
