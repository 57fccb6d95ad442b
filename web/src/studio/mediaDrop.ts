import type { NodeSpec } from "../lib/types";
import { isUploadSpec, uploadKind } from "./context";

/** Drag payload of a gallery item (JSON of {@link DraggedMedia}). */
export const MEDIA_MIME = "application/x-mas-media";

export type MediaKind = "image" | "video" | "audio";

/** A gallery item being dragged onto the canvas or onto an upload node. */
export interface DraggedMedia {
  id: string;
  kind: MediaKind;
  filename?: string;
}

export function readDraggedMedia(raw: string): DraggedMedia | null {
  try {
    const v = JSON.parse(raw) as Partial<DraggedMedia>;
    if (typeof v.id !== "string" || !isMediaKind(v.kind)) return null;
    return { id: v.id, kind: v.kind, filename: typeof v.filename === "string" ? v.filename : undefined };
  } catch {
    return null;
  }
}

function isMediaKind(v: unknown): v is MediaKind {
  return v === "image" || v === "video" || v === "audio";
}

/** The kind of media a dropped file is, from its MIME type or, when the browser gives none, its extension. */
export function fileKind(file: { name: string; type: string }): MediaKind | null {
  const major = file.type.split("/")[0];
  if (isMediaKind(major)) return major;
  const ext = file.name.toLowerCase().split(".").pop() ?? "";
  if (["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"].includes(ext)) return "image";
  if (["mp4", "mov", "webm", "mkv", "avi", "m4v"].includes(ext)) return "video";
  if (["wav", "mp3", "flac", "ogg", "m4a", "aac", "opus"].includes(ext)) return "audio";
  return null;
}

/** Dropped files by kind, in the order the kinds first appear; files of no media kind are returned apart. */
export function filesByKind<F extends { name: string; type: string }>(files: F[]): { groups: [MediaKind, F[]][]; other: F[] } {
  const groups = new Map<MediaKind, F[]>();
  const other: F[] = [];
  for (const f of files) {
    const k = fileKind(f);
    if (k) groups.set(k, [...(groups.get(k) ?? []), f]);
    else other.push(f);
  }
  return { groups: [...groups.entries()], other };
}

/** The upload node type that takes media of `kind` (recognised by schema, not by name). */
export function uploadTypeFor(catalog: Map<string, NodeSpec>, kind: MediaKind): string | null {
  for (const spec of catalog.values()) if (isUploadSpec(spec) && uploadKind(spec) === kind) return spec.type;
  return null;
}
