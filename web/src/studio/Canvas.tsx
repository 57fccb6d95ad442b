import { Background, BackgroundVariant, Controls, MiniMap, Panel, ReactFlow, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { docKey, docToFlow, flowToDoc, type FlowEdge, type FlowNode, type StudioNodeData } from "../lib/graphDoc";
import { LOOP_TYPE } from "../lib/loops";
import { CLIENT_ID, api, errorText } from "../lib/api";
import { rebaseEdits, type Rebased } from "../lib/rebase";
import { abilities } from "../lib/roles";
import { navigate } from "../lib/router";
import type { MediaItem, Me, NodeSpec, Position, SessionDoc } from "../lib/types";
import { MediaLightbox } from "../components/MediaLightbox";
import { toast } from "../components/toast";
import { CommentNode, FrameNode } from "./AnnotationNodes";
import { nodeMenu, paneMenu, type MenuEntry } from "./canvasMenus";
import { ConnectionLine } from "./ConnectionLine";
import { ContextMenu } from "./ContextMenu";
import { StudioContext, categoryColor, uploadKind, type StudioActions, type StudioCtx } from "./context";
import { EmptyCanvas } from "./EmptyCanvas";
import { GalleryPanel } from "./GalleryPanel";
import { GalleryPicker } from "./GalleryPicker";
import { useAbsolutePosition } from "./hooks/useAbsolutePosition";
import { useCanvasAutosave } from "./hooks/useCanvasAutosave";
import { useCanvasDrop } from "./hooks/useCanvasDrop";
import { useCanvasHotkeys } from "./hooks/useCanvasHotkeys";
import { useClipboard } from "./hooks/useClipboard";
import { useConnections } from "./hooks/useConnections";
import { useGraphHistory } from "./hooks/useGraphHistory";
import { useGrouping } from "./hooks/useGrouping";
import { useInstalledModelKinds } from "./hooks/useInstalledModelKinds";
import { useNodeEdits } from "./hooks/useNodeEdits";
import { useOutdatedOutputs } from "./hooks/useOutdatedOutputs";
import { useOverlapFreeLayout } from "./hooks/useOverlapFreeLayout";
import { useRunCommands } from "./hooks/useRunCommands";
import { useWorkflowFile } from "./hooks/useWorkflowFile";
import { Inspector } from "./Inspector";
import { LoopNode } from "./LoopNode";
import { Palette } from "./Palette";
import { PublishAppDialog } from "./PublishAppDialog";
import { PublishRecipeDialog } from "./PublishRecipeDialog";
import { QuickAdd } from "./QuickAdd";
import { PastRunBanner } from "./PastRunBanner";
import { RunHistoryPanel } from "./RunHistoryPanel";
import { RunProblemsBanner } from "./RunProblemsBanner";
import { canRunTheRest, problemNodeIds } from "./runProblems";
import { RunStore, useRunSummary, type SessionSavedEvent } from "./runStore";
import { MergedBanner, SaveBanner } from "./SaveBanner";
import { ShareDialog } from "./ShareDialog";
import { ShortcutsHelp } from "./ShortcutsHelp";
import { SideDock, type DockTab } from "./SideDock";
import { SocketLegend } from "./SocketLegend";
import { StudioNode } from "./StudioNode";
import { StudioToolbar } from "./StudioToolbar";
import { useRunEvents } from "./useRunEvents";
import { WorkflowPanel } from "./WorkflowPanel";

const noop = () => undefined;
/** Outlines a node a refused run names. */
const PROBLEM_CLASS = "node-problem";

const NODE_TYPES = { studio: StudioNode, comment: CommentNode, frame: FrameNode, loop: LoopNode };

function tabsFrom(session: SessionDoc): { palette: boolean; inspector: boolean } {
  const tabs = (session.tabs ?? []) as { id?: string; open?: boolean }[];
  const get = (id: string) => tabs.find((t) => t && t.id === id)?.open;
  return { palette: get("palette") ?? true, inspector: get("inspector") ?? true };
}

/**
 * The workflow editor: composes the canvas's hooks (graph and undo, edits, links, groups,
 * clipboard, runs, autosave, hotkeys) around React Flow, the side panels and the dialogs.
 */
export function Canvas({ session, specs, me }: { session: SessionDoc; specs: NodeSpec[]; me: Me; onReload?: () => void }) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const can = useMemo(() => abilities(session.role), [session.role]);
  const catalog = useMemo(() => new Map(specs.map((s) => [s.type, s])), [specs]);
  const initial = useMemo(() => docToFlow(session.graph), [session]);
  const graph = useGraphHistory(initial);
  const { nodes, setNodes, nodesRef } = graph;

  const runStore = useMemo(() => new RunStore(), []);
  const graphIds = useCallback(() => nodesRef.current.filter((n) => n.type === "studio").map((n) => n.id), [nodesRef]);
  const onRemoteSave = useRef<(ev: SessionSavedEvent) => void>(() => undefined);
  const live = useRunEvents(session.id, runStore, graphIds, (ev) => onRemoteSave.current(ev));
  const run = useRunSummary(runStore);

  const [panels, setPanels] = useState(() => tabsFrom(session));
  const [menu, setMenu] = useState<{ x: number; y: number; nodeId?: string } | null>(null);
  const [quick, setQuick] = useState<Position | null>(null);
  const [help, setHelp] = useState(false);
  const [picker, setPicker] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [publishingApp, setPublishingApp] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [history, setHistory] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const pointer = useRef<Position | null>(null);

  const autosave = useCanvasAutosave(session, graph, panels, can.edit);
  // Another tab saved: with nothing unsaved here this tab takes that version at once (and says so);
  // with unsaved edits it says it is behind, and its next save updates and re-applies them.
  onRemoteSave.current = (ev) => {
    if (ev.client_id === CLIENT_ID || !autosave.noteRemoteSave(ev.version)) return;
    if (!autosave.hasUnsaved()) void mergeRef.current(true);
  };
  const [merged, setMerged] = useState<Rebased | null>(null);
  const mergeRef = useRef<(fromOtherTab?: boolean) => Promise<void>>(async () => undefined);
  /** Takes the newest saved version and re-applies this tab's own edits (since its last save) on top. */
  const merge = useCallback(async (fromOtherTab = false) => {
    try {
      const theirs = await api.getSession(session.id);
      const flow = docToFlow(theirs.graph);
      const newest = flowToDoc(flow.nodes, flow.edges);
      const mine = flowToDoc(graph.nodesRef.current, graph.edgesRef.current);
      const result = rebaseEdits(autosave.base.current ?? newest, mine, newest, (t) => catalog.get(t)?.title ?? t);
      autosave.adopt({ version: theirs.version, graph: newest }, docKey(newest));
      graph.replace(result.graph);
      // Said only when there was something of this tab's own to re-apply (or that could not be).
      setMerged(result.applied.length || result.dropped.length ? result : null);
      if (fromOtherTab && !result.applied.length) toast("Another tab saved a newer version: this tab now shows it.", "info");
    } catch (e) {
      toast(errorText(e), "error");
    }
  }, [autosave, catalog, graph, session.id]);
  // A refused save updates at once: the other version, with this tab's edits re-applied on top.
  const conflicted = autosave.state.kind === "conflict";
  mergeRef.current = merge;
  useEffect(() => {
    if (conflicted) void mergeRef.current();
  }, [conflicted]);
  useOutdatedOutputs(session.id, runStore, graph, autosave.state, graphIds);
  useOverlapFreeLayout(graph);
  const showInspector = useCallback(() => setPanels((p) => (p.inspector ? p : { ...p, inspector: true })), []);
  const absolute = useAbsolutePosition();
  const edits = useNodeEdits({ sessionId: session.id, catalog, graph, wrapper, onAdded: showInspector });
  const links = useConnections(catalog, graph);
  const groups = useGrouping(catalog, graph, absolute);
  const clipboard = useClipboard({ sessionId: session.id, catalog, graph, absolute, wrapper, pointer });
  const runs = useRunCommands(session.id, autosave.flush);
  const { addNode, addLoop, updateNode, updateParams, upload, addMedia, deleteSelection } = edits;
  const { groupSelection, ungroup } = groups;
  const { copy, paste, duplicate } = clipboard;
  const workflowFile = useWorkflowFile({ name: session.name, catalog, graph, canEdit: can.edit, insert: clipboard.insertCentred, pasteNodes: paste });
  const { runAll, rerun, runFrom, cancel } = runs;

  const [dock, setDock] = useState<DockTab>("nodes");
  const installedKinds = useInstalledModelKinds();
  const [viewing, setViewing] = useState<{ item: MediaItem; all: MediaItem[] } | null>(null);
  const [galleryChanges, setGalleryChanges] = useState(0);
  const uploadAndRefresh = useCallback(
    async (id: string, files: File[], kind?: "image" | "video" | "audio") => {
      await upload(id, files, kind);
      setGalleryChanges((n) => n + 1);
    },
    [upload],
  );
  const drop = useCanvasDrop(catalog, () => nodesRef.current, can.edit, { addNode, addMedia, upload: uploadAndRefresh });

  // The nodes a refused run names are selected and outlined until the problems go away.
  const problemIds = useMemo(() => problemNodeIds(runs.problems ?? []), [runs.problems]);
  useEffect(() => {
    const named = new Set(problemIds);
    setNodes((ns) =>
      ns.map((n) => {
        const flagged = named.has(n.id);
        if (flagged === (n.className === PROBLEM_CLASS) && (!named.size || n.selected === flagged)) return n;
        return { ...n, className: flagged ? PROBLEM_CLASS : undefined, selected: named.size ? flagged : n.selected };
      }),
    );
  }, [problemIds, setNodes]);
  const showNode = useCallback(
    (id: string) => {
      setNodes((ns) => ns.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })));
      void rf.fitView({ nodes: [{ id }], padding: 0.8, maxZoom: 1.2, duration: 250 });
    },
    [rf, setNodes],
  );

  const titleOf = useCallback((id: string) => {
    const n = nodesRef.current.find((x) => x.id === id);
    return n ? String(n.data.title || catalog.get(String(n.data.nodeType))?.title || id) : undefined;
  }, [catalog, nodesRef]);
  // Back from a past run's outputs to the latest ones (what a run would reuse now).
  const backToLatest = useCallback(() => {
    runStore.endPastRun();
    api.execution(session.id).then(
      (r) => {
        runStore.apply({ type: "snapshot", run: (r.run ?? null) as never });
        return api.savedOutputs(session.id).then((saved) => runStore.applySaved(saved, graphIds()));
      },
      () => undefined,
    );
  }, [graphIds, runStore, session.id]);

  const selected = nodes.filter((n) => n.selected);
  /** Bypass or mute the node, or the whole selection when the node is part of it (only nodes that run);
   * when every one of them already is, they go back to normal. One undo step. */
  const toggleMode = useCallback(
    (id: string | null, mode: "bypass" | "mute") => {
      const ns = nodesRef.current;
      const inSelection = id === null || !!ns.find((n) => n.id === id)?.selected;
      const targets = ns.filter((n) => (inSelection ? n.selected : n.id === id) && catalog.get(n.data.nodeType)?.executable);
      if (!targets.length) return;
      const next = targets.every((n) => n.data.mode === mode) ? "normal" : mode;
      const ids = new Set(targets.map((n) => n.id));
      graph.record();
      setNodes((cur) => cur.map((n) => (ids.has(n.id) ? { ...n, data: { ...n.data, mode: next } } : n)));
    },
    [nodesRef, catalog, graph, setNodes],
  );
  useCanvasHotkeys(
    {
      undo: can.edit ? graph.undo : noop,
      redo: can.edit ? graph.redo : noop,
      copy,
      paste: can.edit ? workflowFile.onPasteKey : noop,
      duplicate: can.edit ? duplicate : noop,
      groupSelection: can.edit ? groupSelection : noop,
      toggleBypass: can.edit ? () => toggleMode(null, "bypass") : noop,
      toggleMute: can.edit ? () => toggleMode(null, "mute") : noop,
      selectAll: () => setNodes((ns) => ns.map((n) => ({ ...n, selected: true }))),
      runAll: can.run ? runAll : noop,
      rerunSelected: () => (can.run ? rerun(selected[0].id) : undefined),
      fitView: () => void rf.fitView({ padding: 0.2, duration: 250 }),
      showHelp: () => setHelp(true),
      closeMenus: () => {
        setMenu(null);
        setQuick(null);
      },
    },
    selected.length,
  );

  const menuItems = useMemo((): MenuEntry[] => {
    if (!menu) return [];
    if (!menu.nodeId)
      return paneMenu(
        {
          openQuickAdd: () => setQuick({ x: menu.x, y: menu.y }),
          paste,
          fitView: () => void rf.fitView({ padding: 0.2 }),
          exportWorkflow: workflowFile.exportWorkflow,
          importWorkflow: workflowFile.importWorkflow,
        },
        can,
      );
    const n = nodes.find((x) => x.id === menu.nodeId);
    const executable = !!catalog.get(String(n?.data.nodeType))?.executable;
    return nodeMenu(
      { id: menu.nodeId, flowType: n?.type, executable, mode: n?.data.mode },
      { loopAvailable: catalog.has(LOOP_TYPE), selectedCount: selected.length },
      { rerun, runFrom, cancel, addLoop, ungroup, groupSelection, duplicate, copy, deleteSelection, toggleMode },
      can,
    );
  }, [can, menu, nodes, catalog, selected.length, rerun, runFrom, cancel, ungroup, addLoop, groupSelection, duplicate, copy, deleteSelection, toggleMode, paste, rf, workflowFile]);

  // What nodes reach through useStudio().
  const actions: StudioActions = useMemo(
    () => ({
      updateNode,
      updateParams,
      rerun,
      runFrom,
      cancel,
      upload: uploadAndRefresh,
      pickFromGallery: (id) => setPicker(id),
      openMenu: (id, x, y) => {
        setNodes((ns) => (ns.find((n) => n.id === id)?.selected ? ns : ns.map((n) => ({ ...n, selected: n.id === id }))));
        setMenu({ x, y, nodeId: id });
      },
      ungroup,
      addLoop,
    }),
    [updateNode, updateParams, rerun, runFrom, cancel, uploadAndRefresh, ungroup, addLoop, setNodes],
  );
  const ctx: StudioCtx = useMemo(
    () => ({ sessionId: session.id, catalog, runStore, actions, drag: links.drag, can }),
    [session.id, catalog, runStore, actions, links.drag, can],
  );

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
          can={can}
          save={autosave.state}
          live={live}
          run={run}
          canUndo={graph.canUndo}
          canRedo={graph.canRedo}
          panels={panels}
          onTogglePanel={(p) => setPanels((s) => ({ ...s, [p]: !s[p] }))}
          onUndo={graph.undo}
          onRedo={graph.redo}
          onRun={runAll}
          onStop={runs.stop}
          onHelp={() => setHelp(true)}
          onHistory={() => setHistory(true)}
          onShare={() => setSharing(true)}
          onPublish={async () => {
            if (await autosave.flush()) setPublishing(true);
            else toast("Save the workflow before publishing it.", "error");
          }}
          onPublishApp={async () => {
            if (await autosave.flush()) setPublishingApp(true);
            else toast("Save the workflow before publishing it.", "error");
          }}
          onLeave={async (path) => {
            await autosave.flush();
            navigate(path);
          }}
        />
        <SaveBanner state={autosave.state} onMerge={() => void merge()} onRetry={() => void autosave.flush()} />
        {merged && <MergedBanner merged={merged} onDismiss={() => setMerged(null)} />}
        {run.viewing && <PastRunBanner createdAt={run.viewing.createdAt} onBack={backToLatest} />}
        {runs.problems && (
          <RunProblemsBanner
            problems={runs.problems}
            billing={runs.billingProblem}
            onDismiss={runs.dismissProblems}
            onShow={showNode}
            onRunRest={runs.refusedFull && can.run && canRunTheRest(runs.problems) ? runs.runRest : undefined}
          />
        )}
        <div className="studio-body">
          {panels.palette && (
            <SideDock tab={can.edit ? dock : "gallery"} onTab={setDock}>
              {can.edit && dock === "nodes" ? (
                <Palette specs={specs} onAdd={(t) => addNode(t)} installedKinds={installedKinds} />
              ) : (
                <GalleryPanel sessionId={session.id} refreshKey={galleryChanges * 2 + (run.status === "running" ? 0 : 1)} onOpen={(item, all) => setViewing({ item, all })} />
              )}
            </SideDock>
          )}
          <div
            className="canvas-wrap"
            ref={wrapper}
            onDragOver={drop.onDragOver}
            onDrop={drop.onDrop}
            onMouseMove={(e) => (pointer.current = { x: e.clientX, y: e.clientY })}
            onMouseLeave={() => (pointer.current = null)}
            onDoubleClick={(e) => {
              if (can.edit && (e.target as Element).classList?.contains("react-flow__pane")) setQuick({ x: e.clientX, y: e.clientY });
            }}
          >
            <ReactFlow<FlowNode, FlowEdge>
              nodes={nodes}
              edges={links.styledEdges}
              nodeTypes={NODE_TYPES}
              onNodesChange={graph.onNodesChange}
              onEdgesChange={graph.onEdgesChange}
              onConnect={can.edit ? links.onConnect : undefined}
              nodesDraggable={can.edit}
              nodesConnectable={can.edit}
              edgesReconnectable={can.edit}
              onConnectStart={links.onConnectStart}
              onConnectEnd={links.onConnectEnd}
              isValidConnection={links.isValidConnection}
              connectionLineComponent={ConnectionLine}
              onNodeDragStart={() => graph.record()}
              onNodeDragStop={groups.onNodeDragStop}
              onPaneContextMenu={(e) => {
                e.preventDefault();
                setMenu({ x: e.clientX, y: e.clientY });
              }}
              onMoveEnd={(_, vp) => autosave.onViewportChange(vp)}
              defaultViewport={hasSavedViewport ? session.viewport! : undefined}
              fitView={fitOnOpen}
              fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
              zoomOnDoubleClick={false}
              deleteKeyCode={can.edit ? ["Backspace", "Delete"] : null}
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
            {nodes.length === 0 && can.edit && <EmptyCanvas catalog={catalog} onAdd={(t) => addNode(t)} />}
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
                  onExport={workflowFile.exportWorkflow}
                  onImport={can.edit ? workflowFile.importWorkflow : undefined}
                />
              )}
            </aside>
          )}
        </div>
        {menu && <ContextMenu x={menu.x} y={menu.y} items={menuItems} onClose={() => setMenu(null)} />}
        {quick && (
          <QuickAdd
            specs={specs}
            installedKinds={installedKinds}
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
        {viewing && (
          <MediaLightbox
            item={viewing.item}
            items={viewing.all}
            onClose={() => setViewing(null)}
            onDeleted={() => {
              setViewing(null);
              setGalleryChanges((n) => n + 1);
            }}
          />
        )}
        {history && (
          <RunHistoryPanel
            sessionId={session.id}
            run={run}
            canRun={can.run}
            titleOf={titleOf}
            onShowRun={(r) => {
              runStore.showPastRun(r, graphIds());
              setHistory(false);
            }}
            onClose={() => setHistory(false)}
          />
        )}
        {sharing && <ShareDialog sessionId={session.id} sessionName={session.name} onClose={() => setSharing(false)} />}
        {publishing && <PublishRecipeDialog sessionId={session.id} sessionName={session.name} nodes={nodes} onClose={() => setPublishing(false)} />}
        {publishingApp && <PublishAppDialog sessionId={session.id} sessionName={session.name} nodes={nodes} onClose={() => setPublishingApp(false)} />}
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
