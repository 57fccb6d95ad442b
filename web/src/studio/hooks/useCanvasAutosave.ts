import { useCallback, useEffect, useMemo, useRef } from "react";
import { docKey, flowToDoc } from "../../lib/graphDoc";
import type { SessionDoc, Viewport } from "../../lib/types";
import { useAutosave } from "../useAutosave";
import type { GraphState } from "./useGraphHistory";

/**
 * Saves the canvas as it changes: the graph, the viewport and which side panels are open.
 * The first document seen is the one loaded, so it is not written back.
 */
export function useCanvasAutosave(session: SessionDoc, graph: GraphState, panels: { palette: boolean; inspector: boolean }, canSave = true) {
  const autosave = useAutosave(session);
  const { nodes, edges, nodesRef, edgesRef } = graph;
  const viewport = useRef<Viewport>(session.viewport ?? { x: 0, y: 0, zoom: 1 });
  const tabs = useMemo(() => [{ id: "palette", open: panels.palette }, { id: "inspector", open: panels.inspector }], [panels]);
  const firstSave = useRef(true);
  const schedule = autosave.schedule;
  const pushSave = useCallback(() => {
    if (!canSave) return; // viewers and runners cannot save the graph: their canvas is read-only
    const doc = flowToDoc(nodesRef.current, edgesRef.current);
    schedule({ graph: doc, key: docKey(doc), viewport: viewport.current, tabs }, firstSave.current);
    firstSave.current = false;
  }, [canSave, edgesRef, nodesRef, schedule, tabs]);
  useEffect(pushSave, [nodes, edges, pushSave]);

  const onViewportChange = useCallback(
    (vp: Viewport) => {
      viewport.current = vp;
      pushSave();
    },
    [pushSave],
  );

  return {
    state: autosave.state,
    flush: autosave.flush,
    onViewportChange,
    base: autosave.base,
    noteRemoteSave: autosave.noteRemoteSave,
    hasUnsaved: autosave.hasUnsaved,
    adopt: autosave.adopt,
  };
}
