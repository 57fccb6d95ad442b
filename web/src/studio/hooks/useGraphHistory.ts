import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from "@xyflow/react";
import { useCallback, useReducer, useRef, useState } from "react";
import { docToFlow, flowToDoc, type FlowEdge, type FlowNode } from "../../lib/graphDoc";
import { UndoStack } from "../../lib/history";
import type { Graph } from "../../lib/types";

/**
 * The canvas's graph state (React Flow nodes and edges) and its undo history.
 *
 * Every edit calls `record()` before changing the graph; the stack keeps graph-document snapshots.
 * The refs always hold the latest nodes and edges, for callbacks that must not change identity
 * on every edit.
 */
export function useGraphHistory(initial: { nodes: FlowNode[]; edges: FlowEdge[] }) {
  const [nodes, setNodes] = useState<FlowNode[]>(initial.nodes);
  const [edges, setEdges] = useState<FlowEdge[]>(initial.edges);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  nodesRef.current = nodes;
  edgesRef.current = edges;

  const history = useRef(new UndoStack<Graph>());
  // The stack lives outside React state: re-render when it changes so canUndo/canRedo are fresh.
  const [, bumpHistory] = useReducer((x: number) => x + 1, 0);

  const snapshot = useCallback(() => flowToDoc(nodesRef.current, edgesRef.current), []);
  /** Remembers the graph as it is now, before an edit. Edits with the same `key` in quick succession make one step. */
  const record = useCallback(
    (key?: string) => {
      history.current.push(snapshot(), key);
      bumpHistory();
    },
    [snapshot],
  );
  const restore = useCallback((g: Graph) => {
    const flow = docToFlow(g);
    setNodes(flow.nodes);
    setEdges(flow.edges);
  }, []);
  const undo = useCallback(() => {
    const prev = history.current.undo(snapshot());
    if (prev) restore(prev);
    bumpHistory();
  }, [restore, snapshot]);
  const redo = useCallback(() => {
    const next = history.current.redo(snapshot());
    if (next) restore(next);
    bumpHistory();
  }, [restore, snapshot]);

  /** Replaces the whole graph as one undoable step (a merge with another tab's version). */
  const replace = useCallback(
    (g: Graph) => {
      record("replace");
      restore(g);
    },
    [record, restore],
  );

  // React Flow's own changes (moves, selection, deletions by key); deletions are undoable steps.
  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      if (changes.some((c) => c.type === "remove")) record("delete");
      setNodes((ns) => applyNodeChanges(changes, ns));
    },
    [record],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<FlowEdge>[]) => {
      if (changes.some((c) => c.type === "remove")) record("delete");
      setEdges((es) => applyEdgeChanges(changes, es));
    },
    [record],
  );

  return {
    nodes,
    edges,
    setNodes,
    setEdges,
    nodesRef,
    edgesRef,
    record,
    replace,
    undo,
    redo,
    canUndo: history.current.canUndo,
    canRedo: history.current.canRedo,
    onNodesChange,
    onEdgesChange,
  };
}

export type GraphState = ReturnType<typeof useGraphHistory>;
