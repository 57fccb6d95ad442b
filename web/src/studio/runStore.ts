/** Live run state fed by the server's SSE stream; components subscribe per node. */
import { useSyncExternalStore } from "react";
import type { LoopsSection } from "../lib/loops";
import { markedOutdated, mergeSavedOutputs, type SavedOutputsDoc } from "../lib/savedOutputs";
import type { ApiErrorBody, NodeRunState, NodeStatus, OutputValue } from "../lib/types";

export interface RunSummary {
  runId: string | null;
  status: string | null; // queued | running | succeeded | failed | canceled | interrupted
  error: ApiErrorBody | null;
  mode: string | null;
  /** Runs waiting their turn, next first. */
  queued: QueuedRun[];
  /** A past run whose outputs the canvas shows instead of the latest ones (null: the latest). */
  viewing: { runId: string; createdAt: number | null } | null;
}

interface ServerNodeState {
  status: NodeStatus;
  progress?: number;
  message?: string | null;
  error?: ApiErrorBody | null;
  outputs?: Record<string, OutputValue> | null;
}

interface ServerRun {
  run_id: string;
  status: string;
  mode?: string;
  error?: ApiErrorBody | null;
  nodes?: Record<string, ServerNodeState>;
  loops?: LoopsSection | null;
}

/*
 * The v2 event stream, one type per event: mirrors core/events.py as api/v2/events.py serializes it.
 * Fields the store does not need to read are optional, so tests can stay short.
 */
export interface SnapshotEvent {
  type: "snapshot";
  run: ServerRun | null;
}

export interface RunStartedEvent {
  type: "run.started";
  run_id: string;
  mode: string;
  target_node_id?: string | null;
  nodes: Record<string, NodeStatus>;
}

export type NodeStatusEvent = { type: "node.status"; run_id: string; node_id: string } & ServerNodeState;

export interface NodeProgressEvent {
  type: "node.progress";
  run_id: string;
  node_id: string;
  progress: number;
  message?: string | null;
}

/** Queued nodes canceled at once by a stop. */
export interface NodesCanceledEvent {
  type: "nodes.canceled";
  run_id: string;
  node_ids: string[];
  error: ApiErrorBody;
}

export interface RunFinishedEvent {
  type: "run.finished";
  run_id: string;
  status: string;
  error?: ApiErrorBody | null;
  counts?: Record<string, number>;
  /** Each loop's iterations, as GET /session/execution reports them (absent when the run had none). */
  loops?: LoopsSection;
  /** The stored outputs of the run's graph, as GET /session/outputs answers (absent if not collected). */
  outputs?: SavedOutputsDoc;
}

/** A run waiting its turn in the session's queue. */
export interface QueuedRun {
  run_id: string;
  user_id: string;
  mode: string;
  target_node_id?: string | null;
  queued_at: number;
}

/** The session's queue changed; `dropped` names a queued run that could not start when its turn came. */
export interface QueueChangedEvent {
  type: "queue.changed";
  items: QueuedRun[];
  dropped?: { run_id: string; error: ApiErrorBody } | null;
}

/** The session was saved (maybe by another tab): a tab at an older version is behind. */
export interface SessionSavedEvent {
  type: "session.saved";
  version: number;
  user_id: string;
  client_id?: string | null;
}

export type RunEvent =
  | SnapshotEvent
  | RunStartedEvent
  | NodeStatusEvent
  | NodeProgressEvent
  | NodesCanceledEvent
  | RunFinishedEvent
  | QueueChangedEvent;

/** Every event name the stream sends (the EventSource listens to each). */
export const RUN_EVENT_TYPES: readonly RunEvent["type"][] = ["snapshot", "run.started", "node.status", "node.progress", "nodes.canceled", "run.finished", "queue.changed"];

/** A past run's node states, as GET /session/runs/{id} answers. */
export type PastRun = ServerRun & { created_at?: number };

const IDLE: NodeRunState = { status: "idle", progress: 0 };

/** One loop iteration shown on the group's own nodes (their copies' states in place of theirs). */
export interface IterationPreview {
  loopId: string;
  iterationId: string;
  label: string;
  /** member id → that member's state in the iteration */
  states: Record<string, NodeRunState | null>;
}

export class RunStore {
  private nodes: Record<string, NodeRunState> = {};
  private summary: RunSummary = { runId: null, status: null, error: null, mode: null, queued: [], viewing: null };
  private nodeListeners = new Map<string, Set<() => void>>();
  private runListeners = new Set<() => void>();
  private anyListeners = new Set<() => void>();
  private loopsSection: LoopsSection = {};
  /** Node ids of the active run, else of the latest one. */
  private runIds = new Set<string>();
  private previewing: IterationPreview | null = null;
  private previewCache = new Map<string, NodeRunState>();

  node(id: string): NodeRunState {
    const p = this.previewing;
    if (p && id in p.states) {
      let shown = this.previewCache.get(id);
      if (!shown) {
        shown = { ...(p.states[id] ?? IDLE), outdated: false, previewOf: p.label };
        this.previewCache.set(id, shown);
      }
      return shown;
    }
    return this.nodes[id] ?? IDLE;
  }

  /** The loop iteration the canvas shows on the group's nodes, if any. */
  preview(): IterationPreview | null {
    return this.previewing;
  }

  /** Shows one iteration's states on the group's own nodes (null: back to their own). */
  setPreview(next: IterationPreview | null): void {
    const touched = new Set([...Object.keys(this.previewing?.states ?? {}), ...Object.keys(next?.states ?? {})]);
    this.previewing = next;
    this.previewCache.clear();
    this.nodes = { ...this.nodes }; // a new snapshot for useAllNodeRuns
    for (const id of touched) this.nodeListeners.get(id)?.forEach((fn) => fn());
    this.anyListeners.forEach((fn) => fn());
  }

  run(): RunSummary {
    return this.summary;
  }

  get running(): boolean {
    return this.summary.status === "running" || this.summary.status === "queued";
  }

  subscribeNode(id: string, fn: () => void): () => void {
    let set = this.nodeListeners.get(id);
    if (!set) this.nodeListeners.set(id, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /** Every node state at once (a new object after any change): for views over many ids, like a loop's copies. */
  all(): Record<string, NodeRunState> {
    return this.nodes;
  }

  /** The latest run's `loops` section (loop id → iterations with member states), merged per loop across runs. */
  loops(): LoopsSection {
    return this.loopsSection;
  }

  subscribeAny(fn: () => void): () => void {
    this.anyListeners.add(fn);
    return () => this.anyListeners.delete(fn);
  }

  subscribeRun(fn: () => void): () => void {
    this.runListeners.add(fn);
    return () => this.runListeners.delete(fn);
  }

  private setNode(id: string, state: NodeRunState): void {
    this.nodes = { ...this.nodes, [id]: state };
    this.nodeListeners.get(id)?.forEach((fn) => fn());
    this.anyListeners.forEach((fn) => fn());
  }

  /**
   * Merges GET /session/outputs: nodes show every stored output that is still current, and no stale one.
   * The active run's nodes keep their live state; so do the nodes of the run that just finished
   * (`afterRun`), whose outputs are fresh even when the server does not store them (uncacheable nodes).
   */
  applySaved(saved: SavedOutputsDoc, graphIds: Iterable<string>, afterRun = false): void {
    const keep = this.running || afterRun ? this.runIds : undefined;
    const changed = mergeSavedOutputs(this.nodes, saved, { graphIds, keep });
    for (const [id, state] of Object.entries(changed)) this.setNode(id, state);
  }

  /** Outputs of these nodes no longer match their settings or inputs: kept, shown as outdated. */
  markOutdated(ids: Iterable<string>): void {
    for (const id of ids) {
      const cur = this.nodes[id];
      if (!cur?.outputs || cur.outdated || cur.status === "queued" || cur.status === "running") continue;
      this.setNode(id, markedOutdated(cur));
    }
  }

  private mergeLoops(loops: LoopsSection): void {
    if (!Object.keys(loops).length) return;
    this.loopsSection = { ...this.loopsSection, ...loops };
    this.nodes = { ...this.nodes }; // a new snapshot for useAllNodeRuns
    this.anyListeners.forEach((fn) => fn());
  }

  private setSummary(s: Partial<RunSummary>): void {
    this.summary = { ...this.summary, ...s };
    this.runListeners.forEach((fn) => fn());
  }

  /**
   * Shows a past run's outputs on the canvas (from the history panel): each node shows what that run
   * left, nodes it did not run show nothing. Live events of a new run end the view.
   */
  showPastRun(run: PastRun, graphIds: Iterable<string>): void {
    for (const id of new Set([...graphIds, ...Object.keys(this.nodes)])) {
      const s = run.nodes?.[id];
      this.setNode(id, s ? { status: s.status, progress: s.progress ?? 0, message: s.message, error: s.error, outputs: s.outputs ?? null } : IDLE);
    }
    if (run.loops) this.mergeLoops(run.loops);
    this.setSummary({ viewing: { runId: run.run_id, createdAt: run.created_at ?? null } });
  }

  /** Leaves a past run's view (the caller merges the latest outputs back). */
  endPastRun(): void {
    this.setSummary({ viewing: null });
  }

  apply(ev: RunEvent): void {
    if (this.summary.viewing && (ev.type === "run.started" || ev.type === "snapshot")) this.setSummary({ viewing: null });
    switch (ev.type) {
      case "queue.changed":
        this.setSummary({ queued: ev.items });
        break;
      case "snapshot": {
        const run = ev.run;
        const ids = new Set([...Object.keys(this.nodes), ...Object.keys(run?.nodes ?? {})]);
        if (run) this.runIds = new Set(Object.keys(run.nodes ?? {}));
        for (const id of ids) {
          const s = run?.nodes?.[id];
          const prev = this.nodes[id];
          if (s) this.setNode(id, { status: s.status, progress: s.progress ?? 0, message: s.message, error: s.error, outputs: s.outputs ?? prev?.outputs ?? null });
        }
        if (run?.loops) this.mergeLoops(run.loops);
        this.setSummary({ runId: run?.run_id ?? null, status: run?.status ?? null, error: run?.error ?? null, mode: run?.mode ?? null });
        break;
      }
      case "run.started":
        if (this.previewing) this.setPreview(null); // a run shows live states, not an old iteration
        this.runIds = new Set(Object.keys(ev.nodes));
        for (const [id, status] of Object.entries(ev.nodes)) {
          const prev = this.nodes[id];
          this.setNode(id, { status, progress: status === "cached" ? 1 : 0, message: null, error: null, outputs: prev?.outputs ?? null });
        }
        this.setSummary({ runId: ev.run_id, status: "running", error: null, mode: ev.mode });
        break;
      case "node.status": {
        this.runIds.add(ev.node_id);
        const prev = this.nodes[ev.node_id];
        this.setNode(ev.node_id, {
          status: ev.status,
          progress: ev.progress ?? prev?.progress ?? 0,
          message: ev.message ?? null,
          error: ev.error ?? null,
          outputs: ev.outputs ?? prev?.outputs ?? null,
        });
        break;
      }
      case "node.progress": {
        const prev = this.nodes[ev.node_id] ?? IDLE;
        this.setNode(ev.node_id, { ...prev, status: "running", progress: ev.progress, message: ev.message ?? prev.message });
        break;
      }
      case "nodes.canceled":
        for (const id of ev.node_ids) {
          const prev = this.nodes[id] ?? IDLE;
          this.setNode(id, { ...prev, status: "canceled", error: ev.error });
        }
        break;
      case "run.finished":
        if (ev.loops) this.mergeLoops(ev.loops);
        this.setSummary({ runId: ev.run_id, status: ev.status, error: ev.error ?? null });
        break;
    }
  }
}

export function useNodeRun(store: RunStore, id: string): NodeRunState {
  return useSyncExternalStore(
    (fn) => store.subscribeNode(id, fn),
    () => store.node(id),
  );
}

export function useAllNodeRuns(store: RunStore): Record<string, NodeRunState> {
  return useSyncExternalStore(
    (fn) => store.subscribeAny(fn),
    () => store.all(),
  );
}

export function useRunSummary(store: RunStore): RunSummary {
  return useSyncExternalStore(
    (fn) => store.subscribeRun(fn),
    () => store.run(),
  );
}

export const STATUS_LABELS: Record<NodeStatus, string> = {
  idle: "Ready",
  queued: "Queued",
  running: "Running",
  succeeded: "Done",
  cached: "Cached",
  failed: "Failed",
  canceled: "Canceled",
  skipped: "Skipped",
  interrupted: "Interrupted",
};
