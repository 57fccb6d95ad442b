import { useReactFlow } from "@xyflow/react";
import { useCallback, type RefObject } from "react";
import { api, errorText } from "../../lib/api";
import { GROUP_TYPE, newId, toFlowNode, type FlowEdge, type FlowNode, type StudioNodeData } from "../../lib/graphDoc";
import { placedNodes, planGpuWiring } from "../../lib/gpuWire";
import { LOOP_TYPE } from "../../lib/loops";
import { defaultParams } from "../../lib/schemaForm";
import type { MediaItem, NodeSpec } from "../../lib/types";
import { toast } from "../../components/toast";
import { uploadKind } from "../context";
import { DEFAULT_SIZE, freeSpot } from "../placement";
import type { GraphState } from "./useGraphHistory";

/** A media item as an upload node remembers it. */
export interface PickedMedia {
  id: string;
  kind: string;
  filename?: string;
}

/** Parameters and UI state a new node starts with instead of its defaults. */
export interface NodeInit {
  params?: Record<string, unknown>;
  ui?: Record<string, unknown>;
}

interface NodeEditOptions {
  sessionId: string;
  catalog: Map<string, NodeSpec>;
  graph: GraphState;
  /** The canvas element (new nodes from the palette land in its centre). */
  wrapper: RefObject<HTMLDivElement | null>;
  /** Called after a node is added and selected (the canvas shows the Inspector). */
  onAdded: () => void;
}

/** Adding, changing and deleting nodes, and feeding media to upload nodes. Every edit is one undo step. */
export function useNodeEdits({ sessionId, catalog, graph, wrapper, onAdded }: NodeEditOptions) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const { nodesRef, edgesRef, record, setNodes, setEdges } = graph;

  const updateNode = useCallback(
    (id: string, patch: Partial<StudioNodeData>, key?: string) => {
      record(key);
      setNodes((ns) => ns.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)));
    },
    [record, setNodes],
  );
  const updateParams = useCallback(
    (id: string, params: Record<string, unknown>, key?: string) => {
      record(key);
      setNodes((ns) => ns.map((n) => (n.id === id ? { ...n, data: { ...n.data, params: { ...n.data.params, ...params } } } : n)));
    },
    [record, setNodes],
  );

  /**
   * Adds a node of `type` at `at` (flow coordinates), or near the middle of the canvas, and selects it;
   * `init` presets some of its parameters and UI state (a dropped file's upload node). Answers the new node's id.
   */
  const addNode = useCallback(
    (type: string, at?: { x: number; y: number }, init?: NodeInit): string | null => {
      const spec = catalog.get(type);
      if (!spec) return null;
      let position = at;
      if (!position) {
        const box = wrapper.current?.getBoundingClientRect();
        const centre = rf.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 800) / 2 - 130, y: (box?.top ?? 0) + (box?.height ?? 600) / 2 - 80 });
        position = freeSpot(centre, nodesRef.current);
      }
      const size = DEFAULT_SIZE[type];
      const node = toFlowNode({
        id: newId(type === GROUP_TYPE ? "g" : "n"),
        type,
        position,
        params: { ...defaultParams(spec.params_schema), ...init?.params },
        ui: init?.ui,
        width: size?.width ?? null,
        height: size?.height ?? null,
      });
      node.selected = true;
      // GPU nodes are gated by the session's one GPU Control node: link it, creating it when missing.
      const wiring = planGpuWiring({ id: node.id, type, position }, placedNodes(nodesRef.current), edgesRef.current, catalog, () => newId("gpu"));
      const control = wiring?.create
        ? toFlowNode({ id: wiring.create.id, type: wiring.create.type, position: wiring.create.position, params: defaultParams(catalog.get(wiring.create.type)?.params_schema) })
        : null;
      record();
      setNodes((ns) => {
        const rest = ns.map((n) => ({ ...n, selected: false }));
        if (type === GROUP_TYPE) return [node, ...rest];
        return control ? [...rest, control, node] : [...rest, node];
      });
      if (wiring) {
        const w = wiring.edge;
        setEdges((es) => [...es, { id: newId("e"), source: w.source, sourceHandle: w.sourceHandle, target: w.target, targetHandle: w.targetHandle }]);
        toast(control ? `Added ${catalog.get(control.data.nodeType)?.title ?? "GPU Control"} and connected it` : "Connected to the session’s GPU Control", "info");
      }
      onAdded();
      return node.id;
    },
    [catalog, edgesRef, nodesRef, onAdded, record, rf, setEdges, setNodes, wrapper],
  );

  /** Creates a loop node right of the group, targeting it, and selects it. */
  const addLoop = useCallback(
    (groupId: string) => {
      const g = nodesRef.current.find((n) => n.id === groupId);
      const spec = catalog.get(LOOP_TYPE);
      if (!g || !spec) return;
      const at = g.parentId ? (rf.getInternalNode(g.id)?.internals.positionAbsolute ?? g.position) : g.position;
      const w = g.measured?.width ?? g.width ?? 440;
      const loop = toFlowNode({
        id: newId("loop"),
        type: LOOP_TYPE,
        position: { x: at.x + w + 48, y: at.y },
        params: { ...defaultParams(spec.params_schema), group_id: groupId, iterations: [] },
        width: DEFAULT_SIZE.loop.width,
        height: null,
      });
      loop.selected = true;
      record();
      setNodes((ns) => [...ns.map((n) => ({ ...n, selected: false })), loop]);
      onAdded();
      toast("Loop added: add iterations in the Inspector", "success");
    },
    [catalog, nodesRef, onAdded, record, rf, setNodes],
  );

  const deleteSelection = useCallback(() => {
    const ns = nodesRef.current.filter((n) => n.selected).map((n) => ({ id: n.id }));
    const es = edgesRef.current.filter((e) => e.selected).map((e) => ({ id: e.id }));
    void rf.deleteElements({ nodes: ns, edges: es });
  }, [edgesRef, nodesRef, rf]);

  /** Appends media to an upload node's list (remembering kind and file name for its thumbnails). */
  const addMedia = useCallback(
    (id: string, items: PickedMedia[]) => {
      const n = nodesRef.current.find((x) => x.id === id);
      if (!n) return;
      const ids = Array.isArray(n.data.params.media_ids) ? (n.data.params.media_ids as string[]) : [];
      const media = { ...((n.data.ui.media ?? {}) as Record<string, unknown>) };
      for (const it of items) media[it.id] = { kind: it.kind, filename: it.filename };
      record();
      setNodes((ns) =>
        ns.map((x) =>
          x.id === id
            ? { ...x, data: { ...x.data, params: { ...x.data.params, media_ids: [...ids, ...items.map((i) => i.id)] }, ui: { ...x.data.ui, media } } }
            : x,
        ),
      );
    },
    [nodesRef, record, setNodes],
  );
  /** Uploads files into an upload node (`knownKind` when the node was only just added and is not rendered yet). */
  const upload = useCallback(
    async (id: string, files: File[], knownKind?: "image" | "video" | "audio") => {
      const n = nodesRef.current.find((x) => x.id === id);
      const kind = knownKind ?? uploadKind(catalog.get(n?.data.nodeType ?? ""));
      try {
        const items = await api.upload(sessionId, id, kind, files);
        addMedia(id, items.map((m: MediaItem) => ({ id: m.id, kind: m.media_type, filename: m.filename })));
        toast(`Uploaded ${items.length} file(s)`, "success");
      } catch (e) {
        toast(errorText(e), "error");
      }
    },
    [addMedia, catalog, nodesRef, sessionId],
  );

  return { updateNode, updateParams, addNode, addLoop, deleteSelection, addMedia, upload };
}
