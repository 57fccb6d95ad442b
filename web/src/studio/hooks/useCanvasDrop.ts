import { useReactFlow } from "@xyflow/react";
import { useCallback, type DragEvent } from "react";
import type { FlowEdge, FlowNode } from "../../lib/graphDoc";
import type { NodeSpec } from "../../lib/types";
import { toast } from "../../components/toast";
import { isUploadSpec, uploadKind } from "../context";
import { filesByKind, MEDIA_MIME, readDraggedMedia, uploadTypeFor, type DraggedMedia, type MediaKind } from "../mediaDrop";
import { NODE_MIME } from "../Palette";
import type { NodeInit, PickedMedia } from "./useNodeEdits";

interface DropActions {
  addNode: (type: string, at?: { x: number; y: number }, init?: NodeInit) => string | null;
  addMedia: (id: string, items: PickedMedia[]) => void;
  upload: (id: string, files: File[], kind?: MediaKind) => Promise<void>;
}

/** Offset between the pointer and a dropped node's top-left corner, so the node lands under the pointer. */
const GRAB = { x: 20, y: 16 };

/** The node under the drop, if any. */
function targetNode(e: DragEvent, nodes: FlowNode[]): FlowNode | undefined {
  const id = (e.target as Element).closest?.(".react-flow__node")?.getAttribute("data-id");
  return id ? nodes.find((n) => n.id === id && n.type === "studio") : undefined;
}

function mediaInit(items: DraggedMedia[]): NodeInit {
  return {
    params: { media_ids: items.map((m) => m.id) },
    ui: { media: Object.fromEntries(items.map((m) => [m.id, { kind: m.kind, filename: m.filename }])) },
  };
}

/**
 * What the canvas accepts when something is dropped on it: a palette node (adds it), a gallery item (onto an
 * upload node of its kind: sets that node's media; elsewhere: a new upload node with it) and files from the
 * computer (a new upload node per kind, uploaded with the usual limits). A drop that cannot land says why.
 */
export function useCanvasDrop(catalog: Map<string, NodeSpec>, nodes: () => FlowNode[], canEdit: boolean, actions: DropActions) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const { addNode, addMedia, upload } = actions;

  const onDragOver = useCallback(
    (e: DragEvent) => {
      const types = e.dataTransfer.types;
      if (!canEdit || !(types.includes(NODE_MIME) || types.includes(MEDIA_MIME) || types.includes("Files"))) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = types.includes(NODE_MIME) ? "move" : "copy";
    },
    [canEdit],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const dt = e.dataTransfer;
      if (!canEdit) return;
      const at = rf.screenToFlowPosition({ x: e.clientX - GRAB.x, y: e.clientY - GRAB.y });
      const nodeType = dt.getData(NODE_MIME);
      if (nodeType) {
        e.preventDefault();
        addNode(nodeType, at);
        return;
      }
      const raw = dt.getData(MEDIA_MIME);
      if (raw) {
        e.preventDefault();
        const media = readDraggedMedia(raw);
        if (!media) return;
        const target = targetNode(e, nodes());
        if (target) {
          const spec = catalog.get(String(target.data.nodeType));
          if (isUploadSpec(spec) && uploadKind(spec) === media.kind) {
            addMedia(target.id, [media]);
            toast(`Added ${media.filename ?? media.kind} to ${target.data.title || spec?.title}`, "success");
            return;
          }
          toast(`${target.data.title || spec?.title || "This node"} does not take ${media.kind}: drop it on an empty spot or on an Upload ${media.kind} node`, "error");
          return;
        }
        const type = uploadTypeFor(catalog, media.kind);
        if (!type) toast(`No upload node takes ${media.kind}`, "error");
        else addNode(type, at, mediaInit([media]));
        return;
      }
      if (dt.files.length) {
        e.preventDefault();
        const { groups, other } = filesByKind([...dt.files]);
        const target = targetNode(e, nodes());
        const spec = target ? catalog.get(String(target.data.nodeType)) : undefined;
        if (target && isUploadSpec(spec)) {
          const kind = uploadKind(spec);
          const fitting = groups.find(([k]) => k === kind);
          if (fitting) void upload(target.id, fitting[1]);
          else toast(`${target.data.title || spec?.title} takes ${kind ?? "media"} files`, "error");
          return;
        }
        if (other.length) toast(`Not an image, video or audio file: ${other.map((f) => f.name).join(", ")}`, "error");
        groups.forEach(([kind, files], i) => {
          const type = uploadTypeFor(catalog, kind);
          if (!type) {
            toast(`No upload node takes ${kind}`, "error");
            return;
          }
          const id = addNode(type, { x: at.x + i * 340, y: at.y });
          if (id) void upload(id, files, kind);
        });
      }
    },
    [addMedia, addNode, canEdit, catalog, nodes, rf, upload],
  );

  return { onDragOver, onDrop };
}
