import type { NodeSpec } from "./types";

/** A model kind as people say it (`text_to_image` → "text to image"). */
export function kindLabel(kind: string): string {
  return kind.replace(/_/g, " ");
}

/** Bytes as KB/MB/GB. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/**
 * Why a node cannot run for want of a model, or null: it needs one of `model_kinds` and none of them is installed.
 * Unknown (`installed` not loaded yet) says nothing.
 */
export function missingModel(spec: Pick<NodeSpec, "model_kinds">, installed: ReadonlySet<string> | null): string | null {
  const kinds = spec.model_kinds ?? [];
  if (!installed || kinds.length === 0 || kinds.some((k) => installed.has(k))) return null;
  return `No ${kinds.map(kindLabel).join(" or ")} model is installed: this node cannot run until an admin adds one (Models page)`;
}
