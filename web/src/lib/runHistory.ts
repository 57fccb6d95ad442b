/** How the history panel words a run: when, how long, what ran. Pure, so it is unit-tested. */

export interface HistoryRun {
  run_id: string;
  mode: string;
  target_node_id?: string | null;
  status: string;
  created_at: number;
  started_at?: number | null;
  finished_at?: number | null;
  counts: Record<string, number>;
  user_email?: string | null;
  duration?: number | null;
  credits: number;
}

const MODES: Record<string, string> = { full: "Whole workflow", from_node: "From a node", node: "One node" };

/** "Whole workflow", "From “Resize”", "Only “Resize”" (the node's title when it is still on the canvas). */
export function modeText(mode: string, target: string | null | undefined, titleOf: (id: string) => string | undefined): string {
  if (!target) return MODES[mode] ?? mode;
  const name = titleOf(target) ?? target;
  if (mode === "from_node") return `From “${name}”`;
  if (mode === "node") return `Only “${name}”`;
  return MODES[mode] ?? mode;
}

/** 0.4 s, 12 s, 3 min 5 s, 1 h 2 min; "—" when the run never ran. */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "3 ran, 2 cached, 1 failed": the nodes that did work first. */
export function countsText(counts: Record<string, number>): string {
  const parts: string[] = [];
  const ran = counts.succeeded ?? 0;
  if (ran) parts.push(`${ran} ran`);
  for (const [status, label] of [["cached", "cached"], ["failed", "failed"], ["canceled", "canceled"], ["skipped", "skipped"], ["interrupted", "interrupted"], ["running", "running"], ["queued", "waiting"]] as const) {
    if (counts[status]) parts.push(`${counts[status]} ${label}`);
  }
  return parts.length ? parts.join(", ") : "nothing ran";
}

/** When, relative to now for the last day, else a date: "just now", "5 min ago", "3 h ago", "2026-12-03 14:05". */
export function whenText(epochSeconds: number, now = Date.now() / 1000): string {
  const ago = now - epochSeconds;
  if (ago < 45) return "just now";
  if (ago < 3600) return `${Math.round(ago / 60)} min ago`;
  if (ago < 86400) return `${Math.round(ago / 3600)} h ago`;
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The toolbar's queue chip: "queued (2)", or nothing when nothing waits. */
export function queueLabel(waiting: number): string | null {
  return waiting > 0 ? `queued (${waiting})` : null;
}
