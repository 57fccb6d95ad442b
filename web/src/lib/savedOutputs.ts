/**
 * Stored outputs (GET /api/v2/session/outputs) merged into what the canvas shows.
 *
 * The server answers with every node whose stored output still matches its current settings and
 * inputs. A graph node missing from the answer has changed since (or was never stored): the
 * output it showed from an older run is kept but marked outdated (shown dimmed, never as "Done").
 * States of the active run (and, right after a run, of the run that just finished) come from the
 * live stream and are left alone.
 */
import type { NodeRunState, NodeStatus, OutputValue } from "./types";

export interface SavedOutputsDoc {
  nodes?: Record<string, { outputs?: Record<string, OutputValue> | null } | null> | null;
}

export interface SavedMergeOptions {
  /** The canvas's node ids: the nodes the answer speaks for (loop copies and other ids are left alone). */
  graphIds: Iterable<string>;
  /** Ids whose live state has priority (the active run's nodes). */
  keep?: ReadonlySet<string>;
}

const RESULT: ReadonlySet<NodeStatus> = new Set(["succeeded", "cached"]);
const IDLE: NodeRunState = { status: "idle", progress: 0 };

function sameOutputs(a: NodeRunState["outputs"], b: NodeRunState["outputs"]): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function withoutOutdated(state: NodeRunState): NodeRunState {
  const { outdated: _gone, ...rest } = state;
  return rest;
}

/** A state whose outputs no longer match its node: kept, dimmed, and no longer "Done"/"Cached". */
export function markedOutdated(state: NodeRunState): NodeRunState {
  return RESULT.has(state.status) ? { ...IDLE, outputs: state.outputs, outdated: true } : { ...state, outdated: true };
}

/**
 * The node states that change once `saved` is merged into `states` (only changed ids are returned).
 * - in the answer: its stored outputs are shown, current (status and error of the latest run are kept);
 * - not in the answer: outputs it shows are marked outdated, and a finished "Done"/"Cached" result falls back to idle;
 * - ids in `keep`, or not in `graphIds`, are untouched.
 */
export function mergeSavedOutputs(
  states: Readonly<Record<string, NodeRunState>>,
  saved: SavedOutputsDoc | null | undefined,
  { graphIds, keep }: SavedMergeOptions,
): Record<string, NodeRunState> {
  const answer = saved?.nodes ?? {};
  const changed: Record<string, NodeRunState> = {};
  for (const id of graphIds) {
    if (keep?.has(id)) continue;
    const cur = states[id] ?? IDLE;
    if (cur.status === "queued" || cur.status === "running") continue; // live, whatever the caller says
    const outputs = answer[id]?.outputs;
    if (outputs && Object.keys(outputs).length) {
      if (!sameOutputs(cur.outputs, outputs) || cur.outdated) changed[id] = { ...withoutOutdated(cur), outputs };
    } else if (cur.outputs) {
      if (!cur.outdated || RESULT.has(cur.status)) changed[id] = markedOutdated(cur);
    } else if (RESULT.has(cur.status)) {
      changed[id] = { ...IDLE, outputs: null };
    }
  }
  return changed;
}
