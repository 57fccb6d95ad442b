import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnConnectEnd,
  type OnConnectStart,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type DragEvent } from "react";
import { ApiError, api, errorText } from "../lib/api";
import {
  GROUP_TYPE,
  docKey,
  docToFlow,
  flowToDoc,
  fromFlowNode,
  newId,
  parentsFirst,
  remapForPaste,
  toFlowEdge,
  toFlowNode,
  type FlowEdge,
  type FlowNode,
  type StudioNodeData,
} from "../lib/graphDoc";
import { gpuControlSpec, planGpuWiring, wirePastedGpu } from "../lib/gpuWire";
import { UndoStack } from "../lib/history";
import { LOOP_TYPE } from "../lib/loops";
import { navigate } from "../lib/router";
import { defaultParams } from "../lib/schemaForm";
import { socketColor } from "../lib/sockets";
import type { Graph, MediaItem, Me, NodeSpec, SessionDoc, Viewport } from "../lib/types";
import { toast } from "../components/toast";
import { CommentNode, FrameNode } from "./AnnotationNodes";
import { ConnectionLine } from "./ConnectionLine";
import { ContextMenu, type MenuItem } from "./ContextMenu";
import { StudioContext, categoryColor, uploadKind, type DragOrigin, type StudioActions, type StudioCtx } from "./context";
import { GalleryPicker } from "./GalleryPicker";
import { Inspector } from "./Inspector";
import { LoopNode } from "./LoopNode";
import { PublishRecipeDialog } from "./PublishRecipeDialog";
import { connectionProblem } from "./linkRules";
import { NODE_MIME, Palette } from "./Palette";
import { QuickAdd } from "./QuickAdd";
import { RunStore, useRunSummary } from "./runStore";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { SocketLegend } from "./SocketLegend";
import { StudioNode } from "./StudioNode";
import { StudioToolbar } from "./StudioToolbar";
import { useAutosave } from "./useAutosave";
import { useRunEvents } from "./useRunEvents";
import { WorkflowPanel } from "./WorkflowPanel";

const NODE_TYPES = { studio: StudioNode, comment: CommentNode, frame: FrameNode, loop: LoopNode };
const CLIP_KEY = "mas.clipboard.v1";
const DEFAULT_SIZE: Record<string, { width: number; height: number }> = {
  group: { width: 440, height: 300 },
  comment: { width: 260, height: 140 },
  loop: { width: 380, height: 260 },
};

function tabsFrom(session: SessionDoc): { palette: boolean; inspector: boolean } {
  const tabs = (session.tabs ?? []) as { id?: string; open?: boolean }[];
  const get = (id: string) => tabs.find((t) => t && t.id === id)?.open;
  return { palette: get("palette") ?? true, inspector: get("inspector") ?? true };
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

export function Canvas({ session, specs, me, onReload }: { session: SessionDoc; specs: NodeSpec[]; me: Me; onReload: () => void }) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const catalog = useMemo(() => new Map(specs.map((s) => [s.type, s])), [specs]);
  const initial = useMemo(() => docToFlow(session.graph), [session]);
  const [nodes, setNodes] = useState<FlowNode[]>(initial.nodes);
  const [edges, setEdges] = useState<FlowEdge[]>(initial.edges);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  nodesRef.current = nodes;
  edgesRef.current = edges;

  const runStore = useMemo(() => new RunStore(), []);
  const graphIds = useCallback(() => nodesRef.current.filter((n) => n.type === "studio").map((n) => n.id), []);
  const live = useRunEvents(session.id, runStore, graphIds);
  const run = useRunSummary(runStore);
  const history = useRef(new UndoStack<Graph>());
  const [, bumpHistory] = useReducer((x: number) => x + 1, 0);
  const [panels, setPanels] = useState(() => tabsFrom(session));
  const viewport = useRef<Viewport>(session.viewport ?? { x: 0, y: 0, zoom: 1 });
  const autosave = useAutosave(session);
  const [drag, setDrag] = useState<DragOrigin | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number; nodeId?: string; flow?: { x: number; y: number } } | null>(null);
  const [quick, setQuick] = useState<{ x: number; y: number } | null>(null);
  const [help, setHelp] = useState(false);
  const [picker, setPicker] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[] | null>(null);
  const [publishing, setPublishing] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const mouse = useRef<{ x: number; y: number } | null>(null);

  // ---------------------------------------------------------------- autosave
  const tabs = useMemo(() => [{ id: "palette", open: panels.palette }, { id: "inspector", open: panels.inspector }], [panels]);
  const firstSave = useRef(true);
  const schedule = autosave.schedule;
  const pushSave = useCallback(() => {
    const graph = flowToDoc(nodesRef.current, edgesRef.current);
    schedule({ graph, key: docKey(graph), viewport: viewport.current, tabs }, firstSave.current);
    firstSave.current = false;
  }, [schedule, tabs]);
  useEffect(pushSave, [nodes, edges, pushSave]);

  // ----------------------------------------------------------------- history
  const snapshot = useCallback(() => flowToDoc(nodesRef.current, edgesRef.current), []);
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

  // ------------------------------------------------------------- node edits
  const updateNode = useCallback(
    (id: string, patch: Partial<StudioNodeData>, key?: string) => {
      record(key);
      setNodes((ns) => ns.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)));
    },
    [record],
  );
  const updateParams = useCallback(
    (id: string, params: Record<string, unknown>, key?: string) => {
      record(key);
      setNodes((ns) => ns.map((n) => (n.id === id ? { ...n, data: { ...n.data, params: { ...n.data.params, ...params } } } : n)));
    },
    [record],
  );

  const addNode = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      const spec = catalog.get(type);
      if (!spec) return;
      let position = at;
      if (!position) {
        const box = wrapper.current?.getBoundingClientRect();
        position = rf.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 800) / 2 - 130, y: (box?.top ?? 0) + (box?.height ?? 600) / 2 - 80 });
        const taken = (p: { x: number; y: number }) => nodesRef.current.some((n) => Math.abs(n.position.x - p.x) < 30 && Math.abs(n.position.y - p.y) < 30);
        while (taken(position)) position = { x: position.x + 36, y: position.y + 36 };
      }
      const size = DEFAULT_SIZE[type];
      const node = toFlowNode({
        id: newId(type === GROUP_TYPE ? "g" : "n"),
        type,
        position,
        params: defaultParams(spec.params_schema),
        width: size?.width ?? null,
        height: size?.height ?? null,
      });
      node.selected = true;
      // GPU nodes are gated by the session's one GPU Control node: link it, creating it when missing.
      const placed = nodesRef.current.map((n) => ({ id: n.id, type: n.data.nodeType, position: n.position, parentId: n.parentId, width: n.measured?.width ?? n.width, height: n.measured?.height ?? n.height }));
      const wiring = planGpuWiring({ id: node.id, type, position }, placed, edgesRef.current, catalog, () => newId("gpu"));
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
      setPanels((p) => (p.inspector ? p : { ...p, inspector: true }));
    },
    [catalog, record, rf],
  );

  const addLoop = useCallback(
    (groupId: string) => {
      const g = nodesRef.current.find((n) => n.id === groupId);
      const spec = catalog.get(LOOP_TYPE);
      if (!g || !spec) return;
      const at = g.parentId ? (rf.getInternalNode(g.id)?.internals.positionAbsolute ?? g.position) : g.position;
      const w = g.measured?.width ?? g.width ?? 440;
      const size = DEFAULT_SIZE.loop;
      const loop = toFlowNode({
        id: newId("loop"),
        type: LOOP_TYPE,
        position: { x: at.x + w + 48, y: at.y },
        params: { ...defaultParams(spec.params_schema), group_id: groupId, iterations: [] },
        width: size.width,
        height: null,
      });
      loop.selected = true;
      record();
      setNodes((ns) => [...ns.map((n) => ({ ...n, selected: false })), loop]);
      setPanels((p) => (p.inspector ? p : { ...p, inspector: true }));
      toast("Loop added: add iterations in the Inspector", "success");
    },
    [catalog, record, rf],
  );

  // ------------------------------------------------------------ groups
  const absolute = useCallback(
    (n: FlowNode) => rf.getInternalNode(n.id)?.internals.positionAbsolute ?? n.position,
    [rf],
  );

  const groupSelection = useCallback(() => {
    const sel = nodesRef.current.filter((n) => n.selected && !n.parentId && n.type !== "frame");
    if (!sel.length || !catalog.get(GROUP_TYPE)) return;
    const box = sel.reduce(
      (b, n) => {
        const w = n.measured?.width ?? n.width ?? 260;
        const h = n.measured?.height ?? n.height ?? 160;
        return { x1: Math.min(b.x1, n.position.x), y1: Math.min(b.y1, n.position.y), x2: Math.max(b.x2, n.position.x + w), y2: Math.max(b.y2, n.position.y + h) };
      },
      { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity },
    );
    const origin = { x: box.x1 - 28, y: box.y1 - 52 };
    const group = toFlowNode({
      id: newId("g"),
      type: GROUP_TYPE,
      position: origin,
      params: defaultParams(catalog.get(GROUP_TYPE)!.params_schema),
      width: box.x2 - box.x1 + 56,
      height: box.y2 - box.y1 + 80,
    });
    const ids = new Set(sel.map((n) => n.id));
    record();
    setNodes((ns) => [
      group,
      ...ns.map((n) => (ids.has(n.id) ? { ...n, selected: false, parentId: group.id, position: { x: n.position.x - origin.x, y: n.position.y - origin.y } } : n)),
    ]);
    toast(`Grouped ${sel.length} node(s)`, "success");
  }, [catalog, record]);

  const ungroup = useCallback(
    (id: string) => {
      const g = nodesRef.current.find((n) => n.id === id);
      if (!g) return;
      const at = absolute(g);
      record();
      setNodes((ns) =>
        ns.filter((n) => n.id !== id).map((n) => (n.parentId === id ? { ...n, parentId: undefined, position: { x: n.position.x + at.x, y: n.position.y + at.y } } : n)),
      );
      setEdges((es) => es.filter((e) => e.source !== id && e.target !== id));
    },
    [absolute, record],
  );

  /** After a drag: drop a node into a group, or take it out when dragged outside. */
  const onNodeDragStop = useCallback(
    (_: unknown, __: FlowNode, dragged: FlowNode[]) => {
      const frames = nodesRef.current.filter((n) => n.type === "frame");
      let changed = false;
      const updates = new Map<string, Partial<FlowNode>>();
      for (const n of dragged) {
        if (n.type === "frame") continue;
        const abs = absolute(n);
        const w = n.measured?.width ?? 260;
        const h = n.measured?.height ?? 120;
        const cx = abs.x + w / 2;
        const cy = abs.y + h / 2;
        const inside = frames.find((f) => {
          const p = absolute(f);
          const fw = f.width ?? f.measured?.width ?? 0;
          const fh = f.height ?? f.measured?.height ?? 0;
          return f.id !== n.id && cx > p.x && cx < p.x + fw && cy > p.y && cy < p.y + fh;
        });
        if (inside && inside.id !== n.parentId) {
          const p = absolute(inside);
          updates.set(n.id, { parentId: inside.id, position: { x: abs.x - p.x, y: abs.y - p.y } });
          changed = true;
        } else if (!inside && n.parentId) {
          updates.set(n.id, { parentId: undefined, position: abs });
          changed = true;
        }
      }
      if (changed) setNodes((ns) => parentsFirst(ns.map((n) => (updates.has(n.id) ? { ...n, ...updates.get(n.id) } : n)), (n) => n.parentId));
    },
    [absolute],
  );

  // ---------------------------------------------------- copy, paste, duplicate
  const selectionGraph = useCallback((): Graph | null => {
    const all = nodesRef.current;
    const picked = new Set(all.filter((n) => n.selected).map((n) => n.id));
    let grew = true;
    while (grew) {
      grew = false;
      for (const n of all) if (n.parentId && picked.has(n.parentId) && !picked.has(n.id)) picked.add(n.id), (grew = true);
    }
    if (!picked.size) return null;
    const nodes = all.filter((n) => picked.has(n.id)).map((n) => {
      const doc = fromFlowNode(n);
      if (doc.parent_id && !picked.has(doc.parent_id)) return { ...doc, parent_id: null, position: absolute(n) };
      return doc;
    });
    const edges = flowToDoc([], edgesRef.current.filter((e) => picked.has(e.source) && picked.has(e.target))).edges;
    return { nodes, edges };
  }, [absolute]);

  const insertGraph = useCallback(
    (clip: Graph, offset: { x: number; y: number }) => {
      const known = { nodes: clip.nodes.filter((n) => catalog.has(n.type)), edges: clip.edges };
      const remapped = remapForPaste(known, offset);
      if (!remapped.nodes.length) return 0;
      // Pasted GPU nodes are gated by the session's one GPU Control node too (created when missing).
      const placed = nodesRef.current.map((n) => ({ id: n.id, type: n.data.nodeType, position: n.position, parentId: n.parentId, width: n.measured?.width ?? n.width, height: n.measured?.height ?? n.height }));
      const { graph: pasted, created, linked } = wirePastedGpu(remapped, placed, catalog, (p) => newId(p));
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
    [catalog, record],
  );

  const copy = useCallback(() => {
    const g = selectionGraph();
    if (!g) return;
    const text = JSON.stringify({ miniaistudio: "nodes", from: session.id, graph: g });
    localStorage.setItem(CLIP_KEY, text);
    navigator.clipboard?.writeText(text).catch(() => undefined);
    toast(`Copied ${g.nodes.length} node(s). Paste here or in another session.`, "info");
  }, [selectionGraph, session.id]);

  const paste = useCallback(() => {
    let clip: Graph | null = null;
    try {
      clip = (JSON.parse(localStorage.getItem(CLIP_KEY) ?? "null") as { graph: Graph } | null)?.graph ?? null;
    } catch {
      clip = null;
    }
    if (!clip?.nodes?.length) {
      toast("Nothing to paste yet: copy nodes with Ctrl+C first.", "info");
      return;
    }
    const tops = clip.nodes.filter((n) => !n.parent_id);
    const minX = Math.min(...tops.map((n) => n.position.x));
    const minY = Math.min(...tops.map((n) => n.position.y));
    const box = wrapper.current?.getBoundingClientRect();
    const screen = mouse.current ?? { x: (box?.left ?? 0) + (box?.width ?? 800) / 2, y: (box?.top ?? 0) + (box?.height ?? 600) / 2 };
    const at = rf.screenToFlowPosition(screen);
    const count = insertGraph(clip, { x: at.x - minX, y: at.y - minY });
    if (count) toast(`Pasted ${count} node(s)`, "success");
  }, [insertGraph, rf]);

  const duplicate = useCallback(() => {
    const g = selectionGraph();
    if (g) insertGraph(g, { x: 40, y: 40 });
  }, [insertGraph, selectionGraph]);

  const deleteSelection = useCallback(() => {
    const ns = nodesRef.current.filter((n) => n.selected).map((n) => ({ id: n.id }));
    const es = edgesRef.current.filter((e) => e.selected).map((e) => ({ id: e.id }));
    void rf.deleteElements({ nodes: ns, edges: es });
  }, [rf]);

  // ---------------------------------------------------------------- running
  const flushSave = autosave.flush;
  const execute = useCallback(
    async (what: () => Promise<unknown>) => {
      const saved = await flushSave();
      if (!saved) {
        toast("The workflow could not be saved, so it was not run. See the message at the top.", "error");
        return;
      }
      setProblems(null);
      try {
        await what();
      } catch (e) {
        const list = e instanceof ApiError ? ((e.details as { problems?: { message: string }[] } | undefined)?.problems ?? []) : [];
        if (list.length) setProblems(list.map((p) => p.message));
        toast(errorText(e), "error");
      }
    },
    [flushSave],
  );
  const runAll = useCallback(() => void execute(() => api.execute(session.id)), [execute, session.id]);
  const rerun = useCallback((id: string) => void execute(() => api.rerun(session.id, id)), [execute, session.id]);
  const runFrom = useCallback((id: string) => void execute(() => api.execute(session.id, "from_node", id)), [execute, session.id]);
  const cancel = useCallback(
    (id: string) => {
      api.cancelNode(session.id, id).then(() => toast("Cancel requested", "info"), (e) => toast(errorText(e), "error"));
    },
    [session.id],
  );
  const stop = useCallback(() => {
    api.stop(session.id).then(() => toast("Stopping the run…", "info"), (e) => toast(errorText(e), "error"));
  }, [session.id]);

  // ---------------------------------------------------------------- media
  const addMedia = useCallback(
    (id: string, items: { id: string; kind: string; filename?: string }[]) => {
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
    [record],
  );
  const upload = useCallback(
    async (id: string, files: File[]) => {
      const n = nodesRef.current.find((x) => x.id === id);
      const kind = uploadKind(catalog.get(n?.data.nodeType ?? ""));
      try {
        const items = await api.upload(session.id, id, kind, files);
        addMedia(id, items.map((m: MediaItem) => ({ id: m.id, kind: m.media_type, filename: m.filename })));
        toast(`Uploaded ${items.length} file(s)`, "success");
      } catch (e) {
        toast(errorText(e), "error");
      }
    },
    [addMedia, catalog, session.id],
  );

  // ------------------------------------------------------------- context
  const actions: StudioActions = useMemo(
    () => ({
      updateNode,
      updateParams,
      rerun,
      runFrom,
      cancel,
      upload,
      pickFromGallery: (id) => setPicker(id),
      openMenu: (id, x, y) => {
        setNodes((ns) => (ns.find((n) => n.id === id)?.selected ? ns : ns.map((n) => ({ ...n, selected: n.id === id }))));
        setMenu({ x, y, nodeId: id });
      },
      ungroup,
      addLoop,
    }),
    [updateNode, updateParams, rerun, runFrom, cancel, upload, ungroup, addLoop],
  );
  const ctx: StudioCtx = useMemo(() => ({ sessionId: session.id, catalog, runStore, actions, drag }), [session.id, catalog, runStore, actions, drag]);

  // ------------------------------------------------------- React Flow wiring
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
  const problemOf = useCallback(
    (c: Connection | FlowEdge) =>
      connectionProblem(catalog, rf.getNode(c.source), c.sourceHandle, rf.getNode(c.target), c.targetHandle, edgesRef.current.filter((e) => !(e.target === c.target && e.targetHandle === c.targetHandle))),
    [catalog, rf],
  );
  const isValidConnection: IsValidConnection<FlowEdge> = useCallback((c) => problemOf(c) === null, [problemOf]);
  const onConnect = useCallback(
    (c: Connection) => {
      if (problemOf(c)) return;
      record();
      setEdges((es) => [
        ...es.filter((e) => !(e.target === c.target && e.targetHandle === c.targetHandle)),
        { id: newId("e"), source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle },
      ]);
    },
    [problemOf, record],
  );
  const onConnectStart: OnConnectStart = useCallback(
    (_, p) => {
      if (!p.nodeId || !p.handleId || !p.handleType) return;
      const n = rf.getNode(p.nodeId);
      const spec = catalog.get(String(n?.data.nodeType));
      const list = p.handleType === "source" ? spec?.outputs : spec?.inputs;
      const sock = list?.find((s) => s.name === p.handleId);
      if (sock) setDrag({ nodeId: p.nodeId, handleId: p.handleId, handleType: p.handleType, socketType: sock.type });
    },
    [catalog, rf],
  );
  const onConnectEnd: OnConnectEnd = useCallback(
    (_, state) => {
      setDrag(null);
      if (state.toHandle && state.fromHandle && state.isValid === false) {
        const from = state.fromHandle;
        const to = state.toHandle;
        const reason =
          from.type === to.type
            ? "connect an output to an input"
            : from.type === "source"
              ? connectionProblem(catalog, rf.getNode(from.nodeId), from.id, rf.getNode(to.nodeId), to.id, edgesRef.current)
              : connectionProblem(catalog, rf.getNode(to.nodeId), to.id, rf.getNode(from.nodeId), from.id, edgesRef.current);
        if (reason) toast(`Link refused: ${reason}`, "error");
      }
    },
    [catalog, rf],
  );

  const styledEdges = useMemo(
    () =>
      edges.map((e) => {
        const src = nodes.find((n) => n.id === e.source);
        const type = catalog.get(String(src?.data.nodeType))?.outputs.find((s) => s.name === e.sourceHandle)?.type ?? "";
        return { ...e, style: { stroke: socketColor(type), strokeWidth: e.selected ? 3.5 : 2.25 } };
      }),
    [edges, nodes, catalog],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(NODE_MIME);
      if (!type) return;
      e.preventDefault();
      addNode(type, rf.screenToFlowPosition({ x: e.clientX - 20, y: e.clientY - 16 }));
    },
    [addNode, rf],
  );

  // ------------------------------------------------------------- keyboard
  const selected = nodes.filter((n) => n.selected);
  const keyState = useRef({ undo, redo, copy, paste, duplicate, groupSelection, runAll, rerun, deleteSelection, selected });
  keyState.current = { undo, redo, copy, paste, duplicate, groupSelection, runAll, rerun, deleteSelection, selected };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || document.querySelector(".modal-backdrop")) return;
      const k = keyState.current;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !e.shiftKey) k.undo();
      else if (mod && ((key === "z" && e.shiftKey) || key === "y")) k.redo();
      else if (mod && key === "c") k.copy();
      else if (mod && key === "v") k.paste();
      else if (mod && key === "d") k.duplicate();
      else if (mod && key === "g") k.groupSelection();
      else if (mod && key === "a") setNodes((ns) => ns.map((n) => ({ ...n, selected: true })));
      else if (mod && key === "enter") k.runAll();
      else if (!mod && e.shiftKey && key === "r" && k.selected.length === 1) k.rerun(k.selected[0].id);
      else if (!mod && key === "f") void rf.fitView({ padding: 0.2, duration: 250 });
      else if (e.key === "?") setHelp(true);
      else if (e.key === "Escape") {
        setMenu(null);
        setQuick(null);
        return;
      } else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rf]);

  // ------------------------------------------------------------- menus
  const menuItems = useMemo((): (MenuItem | "sep")[] => {
    if (!menu) return [];
    if (!menu.nodeId) {
      return [
        { label: "Add node…", onSelect: () => setQuick({ x: menu.x, y: menu.y }) },
        { label: "Paste", shortcut: "Ctrl+V", onSelect: paste },
        { label: "Fit view", shortcut: "F", onSelect: () => void rf.fitView({ padding: 0.2 }) },
      ];
    }
    const n = nodes.find((x) => x.id === menu.nodeId);
    const spec = catalog.get(String(n?.data.nodeType));
    const id = menu.nodeId;
    const items: (MenuItem | "sep")[] = [];
    if (spec?.executable) {
      items.push(
        { label: "Rerun this node", shortcut: "Shift+R", onSelect: () => rerun(id) },
        { label: "Run from here", onSelect: () => runFrom(id) },
        { label: "Cancel node", onSelect: () => cancel(id) },
        "sep",
      );
    }
    if (n?.type === "frame") {
      if (catalog.has(LOOP_TYPE)) items.push({ label: "Add loop over this group", onSelect: () => addLoop(id) });
      items.push({ label: "Ungroup", onSelect: () => ungroup(id) });
    } else if (n?.type === "loop") items.push({ label: "Run loop", onSelect: () => rerun(id) }, "sep");
    else if (selected.length > 1) items.push({ label: "Group selection", shortcut: "Ctrl+G", onSelect: groupSelection });
    items.push(
      { label: "Duplicate", shortcut: "Ctrl+D", onSelect: duplicate },
      { label: "Copy", shortcut: "Ctrl+C", onSelect: copy },
      "sep",
      { label: "Delete", shortcut: "Del", danger: true, onSelect: deleteSelection },
    );
    return items;
  }, [menu, nodes, catalog, selected.length, rerun, runFrom, cancel, ungroup, addLoop, groupSelection, duplicate, copy, deleteSelection, paste, rf]);

  const [hasSavedViewport] = useState(() => !!session.viewport && (session.viewport.x !== 0 || session.viewport.y !== 0 || session.viewport.zoom !== 1));
  const [fitOnOpen] = useState(() => !hasSavedViewport && initial.nodes.length > 0);
  const single = selected.length === 1 ? selected[0] : null;
  const pickerNode = picker ? nodes.find((n) => n.id === picker) : undefined;

  return (
    <StudioContext.Provider value={ctx}>
      <div className={`studio ${panels.palette ? "" : "no-palette"} ${panels.inspector ? "" : "no-inspector"}`}>
        <StudioToolbar
          session={session}
          me={me}
          save={autosave.state}
          live={live}
          run={run}
          canUndo={history.current.canUndo}
          canRedo={history.current.canRedo}
          panels={panels}
          onTogglePanel={(p) => setPanels((s) => ({ ...s, [p]: !s[p] }))}
          onUndo={undo}
          onRedo={redo}
          onRun={runAll}
          onStop={stop}
          onHelp={() => setHelp(true)}
          onPublish={async () => {
            if (await autosave.flush()) setPublishing(true);
            else toast("Save the workflow before publishing it.", "error");
          }}
          onLeave={async (path) => {
            await autosave.flush();
            navigate(path);
          }}
        />
        {autosave.state.kind === "conflict" && (
          <div className="banner banner-conflict" role="alert">
            <strong>This session was changed somewhere else</strong>
            <span>
              Your latest edits were not saved{autosave.state.current ? ` (the session is now at version ${autosave.state.current})` : ""}. Reload to get the
              newest version; your edits are kept on the clipboard so you can paste them back.
            </span>
            <button
              className="btn btn-primary"
              aria-label="Reload session"
              onClick={() => {
                const g = flowToDoc(nodesRef.current, edgesRef.current);
                localStorage.setItem(CLIP_KEY, JSON.stringify({ miniaistudio: "nodes", from: session.id, graph: g }));
                onReload();
              }}
            >
              Reload session
            </button>
          </div>
        )}
        {autosave.state.kind === "error" && (
          <div className="banner banner-error" role="alert">
            <strong>Not saved</strong>
            <span>{autosave.state.message}</span>
            <button className="btn" onClick={() => void autosave.flush()} aria-label="Retry saving">
              Retry
            </button>
          </div>
        )}
        {problems && (
          <div className="banner banner-error" role="alert" aria-label="Workflow problems">
            <strong>The workflow can’t run yet</strong>
            <ul>
              {problems.slice(0, 4).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
            <button className="icon-btn" onClick={() => setProblems(null)} aria-label="Dismiss problems">
              ✕
            </button>
          </div>
        )}
        <div className="studio-body">
          {panels.palette && <Palette specs={specs} onAdd={(t) => addNode(t)} />}
          <div
            className="canvas-wrap"
            ref={wrapper}
            onDragOver={(e) => {
              if (e.dataTransfer.types.includes(NODE_MIME)) {
                e.preventDefault();
                e.dataTransfer.dropEffect = "move";
              }
            }}
            onDrop={onDrop}
            onMouseMove={(e) => (mouse.current = { x: e.clientX, y: e.clientY })}
            onMouseLeave={() => (mouse.current = null)}
            onDoubleClick={(e) => {
              if ((e.target as Element).classList?.contains("react-flow__pane")) setQuick({ x: e.clientX, y: e.clientY });
            }}
          >
            <ReactFlow<FlowNode, FlowEdge>
              nodes={nodes}
              edges={styledEdges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onConnectStart={onConnectStart}
              onConnectEnd={onConnectEnd}
              isValidConnection={isValidConnection}
              connectionLineComponent={ConnectionLine}
              onNodeDragStart={() => record()}
              onNodeDragStop={onNodeDragStop}
              onPaneContextMenu={(e) => {
                e.preventDefault();
                setMenu({ x: e.clientX, y: e.clientY });
              }}
              onMoveEnd={(_, vp) => {
                viewport.current = vp;
                pushSave();
              }}
              defaultViewport={hasSavedViewport ? session.viewport! : undefined}
              fitView={fitOnOpen}
              fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
              zoomOnDoubleClick={false}
              deleteKeyCode={["Backspace", "Delete"]}
              multiSelectionKeyCode={["Shift", "Meta", "Control"]}
              selectionKeyCode="Shift"
              minZoom={0.1}
              maxZoom={2.5}
              connectionRadius={28}
              proOptions={{ hideAttribution: true }}
              colorMode="dark"
              aria-label="Workflow canvas"
            >
              <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} color="#2a3040" />
              <Controls position="bottom-left" aria-label="Canvas controls" />
              <MiniMap
                position="bottom-right"
                pannable
                zoomable
                ariaLabel="Minimap"
                nodeColor={(n) => (n.type === "frame" ? "rgba(147,197,253,0.15)" : n.type === "comment" ? "#fde68a55" : categoryColor(catalog.get(String((n.data as StudioNodeData).nodeType))?.category))}
                maskColor="rgba(10,12,18,0.7)"
              />
              <Panel position="bottom-center">
                <SocketLegend />
              </Panel>
            </ReactFlow>
            {nodes.length === 0 && (
              <div className="canvas-empty">
                <h2>Start your workflow</h2>
                <p>Drag a node from the palette, or double-click anywhere on the canvas to search.</p>
                <div className="row gap-sm">
                  {["text", "upload.image", "image.solid_color"].filter((t) => catalog.has(t)).map((t) => (
                    <button key={t} className="btn" onClick={() => addNode(t)} aria-label={`Add ${catalog.get(t)!.title}`}>
                      + {catalog.get(t)!.title}
                    </button>
                  ))}
                </div>
              </div>
            )}
          </div>
          {panels.inspector && (
            <aside className="side-panel" aria-label="Inspector panel">
              {single ? (
                <Inspector key={single.id} node={single} />
              ) : (
                <WorkflowPanel
                  selectedCount={selected.length}
                  nodeCount={nodes.length}
                  run={run}
                  onGroup={groupSelection}
                  onDuplicate={duplicate}
                  onDelete={deleteSelection}
                  onHelp={() => setHelp(true)}
                />
              )}
            </aside>
          )}
        </div>
        {menu && <ContextMenu x={menu.x} y={menu.y} items={menuItems} onClose={() => setMenu(null)} />}
        {quick && (
          <QuickAdd
            specs={specs}
            x={quick.x}
            y={quick.y}
            onClose={() => setQuick(null)}
            onPick={(t) => {
              addNode(t, rf.screenToFlowPosition({ x: quick.x, y: quick.y }));
              setQuick(null);
            }}
          />
        )}
        {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
        {publishing && <PublishRecipeDialog sessionId={session.id} sessionName={session.name} nodes={nodes} onClose={() => setPublishing(false)} />}
        {picker && (
          <GalleryPicker
            kind={uploadKind(catalog.get(String(pickerNode?.data.nodeType)))}
            onClose={() => setPicker(null)}
            onPick={(items) => {
              addMedia(picker, items.map((m) => ({ id: m.id, kind: m.media_type, filename: m.filename })));
              setPicker(null);
            }}
          />
        )}
      </div>
    </StudioContext.Provider>
  );
}
