import { createContext, useContext } from "react";
import type { StudioNodeData } from "../lib/graphDoc";
import type { Abilities } from "../lib/roles";
import type { NodeSpec, SocketType } from "../lib/types";
import type { RunStore } from "./runStore";

/** Where a connection drag started, so handles can show what they accept. */
export interface DragOrigin {
  nodeId: string;
  handleId: string;
  handleType: "source" | "target";
  socketType: SocketType | string;
}

export interface StudioActions {
  updateNode: (id: string, patch: Partial<StudioNodeData>, coalesceKey?: string) => void;
  updateParams: (id: string, params: Record<string, unknown>, coalesceKey?: string) => void;
  rerun: (id: string) => void;
  runFrom: (id: string) => void;
  cancel: (id: string) => void;
  upload: (id: string, files: File[]) => Promise<void>;
  pickFromGallery: (id: string) => void;
  openMenu: (id: string, x: number, y: number) => void;
  ungroup: (id: string) => void;
  /** Creates a loop node next to the group, targeting it, and selects it. */
  addLoop: (groupId: string) => void;
}

export interface StudioCtx {
  sessionId: string;
  catalog: Map<string, NodeSpec>;
  runStore: RunStore;
  actions: StudioActions;
  drag: DragOrigin | null;
  /** What the user's role in this session allows (a viewer's canvas is read-only). */
  can: Abilities;
}

export const StudioContext = createContext<StudioCtx | null>(null);

export function useStudio(): StudioCtx {
  const ctx = useContext(StudioContext);
  if (!ctx) throw new Error("useStudio outside the studio");
  return ctx;
}

/** Upload nodes are recognised by their schema (a media_ids list), not by type name. */
export function isUploadSpec(spec: NodeSpec | undefined): boolean {
  return !!spec?.params_schema?.properties?.media_ids;
}

export function uploadKind(spec: NodeSpec | undefined): "image" | "video" | "audio" | null {
  const t = spec?.outputs.find((o) => o.type === "image" || o.type === "video" || o.type === "audio")?.type;
  return (t as "image" | "video" | "audio" | undefined) ?? null;
}

const CATEGORY_COLORS: Record<string, string> = {
  Inputs: "#fbbf24",
  Image: "#38bdf8",
  Video: "#a78bfa",
  Audio: "#f472b6",
  Text: "#facc15",
  Generation: "#7c6cff",
  Utility: "#94a3b8",
  Annotations: "#64748b",
  GPU: "#f87171",
};

export function categoryColor(category: string | undefined): string {
  if (!category) return "#94a3b8";
  if (CATEGORY_COLORS[category]) return CATEGORY_COLORS[category];
  let h = 0;
  for (const ch of category) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 70% 65%)`;
}
