import { useEffect, useRef } from "react";
import { api } from "../../lib/api";
import { inputKeys, outdatedBy } from "../outdated";
import type { RunStore } from "../runStore";
import type { SaveState } from "../useAutosave";
import type { GraphState } from "./useGraphHistory";

/**
 * Outputs turn outdated the moment a node's settings or upstream change (the canvas's own
 * reckoning), and the server's saved-output signatures (GET /session/outputs) settle it after
 * each save: an edit undone makes the output current again, exactly as the next run would see it.
 */
export function useOutdatedOutputs(sessionId: string, runStore: RunStore, graph: GraphState, save: SaveState, graphIds: () => string[]): void {
  const { nodes, edges } = graph;
  const keys = useRef<Map<string, string> | null>(null);
  const edited = useRef(false);
  useEffect(() => {
    const studio = nodes.filter((n) => n.type === "studio").map((n) => ({ id: n.id, params: n.data.params }));
    const next = inputKeys(studio, edges);
    if (keys.current) {
      const stale = outdatedBy(keys.current, next, edges);
      if (stale.size) {
        runStore.markOutdated(stale);
        edited.current = true;
      }
    }
    keys.current = next;
  }, [nodes, edges, runStore]);

  const saved = save.kind === "saved";
  useEffect(() => {
    if (!saved || !edited.current || runStore.running) return;
    edited.current = false;
    let current = true;
    const asked = runStore.run().runId; // an answer about the graph before a run that started since is stale
    api.savedOutputs(sessionId).then(
      (answer) => current && !runStore.running && runStore.run().runId === asked && runStore.applySaved(answer, graphIds()),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [saved, sessionId, runStore, graphIds]);
}
