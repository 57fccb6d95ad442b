import { useReactFlow } from "@xyflow/react";
import { useCallback, type RefObject } from "react";
import { flowToDoc, fromFlowNode, newId, parentsFirst, remapForPaste, toFlowEdge, toFlowNode, type FlowEdge, type FlowNode } from "../../lib/graphDoc";
import { gpuControlSpec, placedNodes, wirePastedGpu } from "../../lib/gpuWire";
import type { Graph, NodeSpec, Position } from "../../lib/types";
import { toast } from "../../components/toast";
import { CLIP_KEY, clipboardGraph, clipboardText, pasteOffset, selectionWithMembers } from "../clipboard";
import type { GraphState } from "./useGraphHistory";

interface ClipboardOptions {
  sessionId: string;
  catalog: Map<string, NodeSpec>;
  graph: GraphState;
  absolute: (n: FlowNode) => Position;
  /** The canvas element (paste lands in its centre when the pointer is elsewhere). */
  wrapper: RefObject<HTMLDivElement | null>;
  /** The pointer's last screen position over the canvas, null when outside. */
  pointer: RefObject<Position | null>;
}

/**
 * Copy, paste and duplicate (InvokeAI's useNodeCopyPaste). Copies go to localStorage so they can be
 * pasted into another session, and to the system clipboard.
 */
export function useClipboard({ sessionId, catalog, graph, absolute, wrapper, pointer }: ClipboardOptions) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const { nodesRef, edgesRef, record, setNodes, setEdges } = graph;

  /** The selection (groups with their members) as a graph document, top-level nodes at absolute positions. */
  const selectionGraph = useCallback((): Graph | null => {
    const all = nodesRef.current;
    const picked = selectionWithMembers(all);
    if (!picked.size) return null;
    const nodes = all
      .filter((n) => picked.has(n.id))
      .map((n) => {
        const doc = fromFlowNode(n);
        if (doc.parent_id && !picked.has(doc.parent_id)) return { ...doc, parent_id: null, position: absolute(n) };
        return doc;
      });
    const edges = flowToDoc([], edgesRef.current.filter((e) => picked.has(e.source) && picked.has(e.target))).edges;
    return { nodes, edges };
  }, [absolute, edgesRef, nodesRef]);

  /** Adds a copy of `clip` shifted by `offset`, selected; answers how many of the copied nodes were added. */
  const insertGraph = useCallback(
    (clip: Graph, offset: Position) => {
      const known = { nodes: clip.nodes.filter((n) => catalog.has(n.type)), edges: clip.edges };
      const remapped = remapForPaste(known, offset);
      if (!remapped.nodes.length) return 0;
      // Pasted GPU nodes are gated by the session's one GPU Control node too (created when missing).
      const { graph: pasted, created, linked } = wirePastedGpu(remapped, placedNodes(nodesRef.current), catalog, (p) => newId(p));
      record();
      const flowNodes = pasted.nodes.map((n) => ({ ...toFlowNode(n), selected: !n.parent_id && n.id !== created }));
      setNodes((ns) => parentsFirst([...ns.map((n) => ({ ...n, selected: false })), ...flowNodes], (n) => n.parentId));
      setEdges((es) => [...es, ...pasted.edges.map(toFlowEdge)]);
      if (linked) {
        const title = catalog.get(gpuControlSpec(catalog)?.type ?? "")?.title ?? "GPU Control";
        toast(created ? `Added ${title} and connected it` : `Connected to the session’s ${title}`, "info");
      }
      return pasted.nodes.length - (created ? 1 : 0);
    },
    [catalog, nodesRef, record, setEdges, setNodes],
  );

  const copy = useCallback(() => {
    const g = selectionGraph();
    if (!g) return;
    const text = clipboardText(sessionId, g);
    localStorage.setItem(CLIP_KEY, text);
    navigator.clipboard?.writeText(text).catch(() => undefined);
    toast(`Copied ${g.nodes.length} node(s). Paste here or in another session.`, "info");
  }, [selectionGraph, sessionId]);

  /** Pastes at the pointer, or in the middle of the canvas when the pointer is not over it. */
  const paste = useCallback(() => {
    const clip = clipboardGraph(localStorage.getItem(CLIP_KEY));
    if (!clip?.nodes?.length) {
      toast("Nothing to paste yet: copy nodes with Ctrl+C first.", "info");
      return;
    }
    const box = wrapper.current?.getBoundingClientRect();
    const screen = pointer.current ?? { x: (box?.left ?? 0) + (box?.width ?? 800) / 2, y: (box?.top ?? 0) + (box?.height ?? 600) / 2 };
    const count = insertGraph(clip, pasteOffset(clip, rf.screenToFlowPosition(screen)));
    if (count) toast(`Pasted ${count} node(s)`, "success");
  }, [insertGraph, pointer, rf, wrapper]);

  const duplicate = useCallback(() => {
    const g = selectionGraph();
    if (g) insertGraph(g, { x: 40, y: 40 });
  }, [insertGraph, selectionGraph]);

  /** Puts the whole graph on the local clipboard (a conflicted session's edits survive a reload this way). */
  const keepWholeGraph = useCallback(() => {
    localStorage.setItem(CLIP_KEY, clipboardText(sessionId, flowToDoc(nodesRef.current, edgesRef.current)));
  }, [edgesRef, nodesRef, sessionId]);

  /** Adds `clip` (an imported workflow) in the middle of the visible canvas; answers how many nodes were added. */
  const insertCentred = useCallback(
    (clip: Graph) => {
      const box = wrapper.current?.getBoundingClientRect();
      const screen = { x: (box?.left ?? 0) + (box?.width ?? 800) / 3, y: (box?.top ?? 0) + (box?.height ?? 600) / 3 };
      return insertGraph(clip, pasteOffset(clip, rf.screenToFlowPosition(screen)));
    },
    [insertGraph, rf, wrapper],
  );

  return { copy, paste, duplicate, keepWholeGraph, insertCentred };
}
