import type { MediaGroup, MediaItem } from "./types";

/** One run's (or one upload batch's) media inside a session group of the gallery. */
export interface MediaBatch {
  key: string;
  label: string;
  items: MediaItem[];
}

function clock(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}`;
}

/**
 * A session's media in batches: what one run made together, and uploads, newest first; items keep the
 * server's order (newest first) inside a batch.
 */
export function batchesOf(group: MediaGroup): MediaBatch[] {
  const batches = new Map<string, MediaBatch>();
  for (const m of group.items) {
    const key = m.run_id ? `run:${m.run_id}` : m.origin === "upload" ? "uploads" : `other:${m.origin ?? ""}`;
    let b = batches.get(key);
    if (!b) {
      const label = m.run_id ? `Run · ${clock(m.created_at)}` : m.origin === "upload" ? "Uploads" : (m.origin ?? "Other");
      b = { key, label, items: [] };
      batches.set(key, b);
    }
    b.items.push(m);
  }
  return [...batches.values()];
}

/**
 * A media item's name as a person reads it: no extension, no trailing short id, separators as spaces
 * (older outputs were named after ids such as ``blur::iteration-2``).
 */
export function readableName(filename: string): string {
  const stem = filename.includes(".") ? filename.slice(0, filename.lastIndexOf(".")) : filename;
  const named = stem
    .replace(/\s+-\s+[0-9a-f]{6,12}$/i, "")
    .replace(/::/g, " · ")
    .replace(/[_]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return named || filename;
}

/** `YYYY-MM-DD` from a date input as the first or last instant of that local day, for the media list. */
export function dayBound(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split("-").map(Number);
  const at = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d, 0, 0, 0, 0);
  return at.toISOString();
}
