/** Socket types, their colors, and the link rule mirrored from core/sockets.py (link_problem). */
import type { SocketType } from "./types";

export const SOCKET_TYPES: SocketType[] = ["image", "video", "audio", "text", "media", "gpu"];

export const SOCKET_COLORS: Record<SocketType, string> = {
  image: "#38bdf8",
  video: "#a78bfa",
  audio: "#f472b6",
  text: "#fbbf24",
  media: "#34d399",
  gpu: "#f87171",
};

export const SOCKET_LABELS: Record<SocketType, string> = {
  image: "Image",
  video: "Video",
  audio: "Audio",
  text: "Text",
  media: "Media (image, video or audio)",
  gpu: "GPU trigger",
};

const MEDIA_KINDS: ReadonlySet<string> = new Set(["image", "video", "audio"]);

export function socketColor(type: string): string {
  return (SOCKET_COLORS as Record<string, string>)[type] ?? "#94a3b8";
}

/** Why an output of `output` cannot feed an input of `input`, or null. Same text as the server. */
export function linkProblem(output: string, input: string): string | null {
  if (output === input) return null;
  if (input === "media" && MEDIA_KINDS.has(output)) return null;
  if (output === "media" && MEDIA_KINDS.has(input)) {
    return `a generic media output may not be ${input}; use a ${input} output`;
  }
  return `${output} output cannot connect to ${input} input`;
}

export function canLink(output: string, input: string): boolean {
  return linkProblem(output, input) === null;
}

const FEED_SUFFIX = /_(input|text)$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Which parameters take their value from a linked input instead (parameter name → socket name).
 * Generic rule, no per-node code: a parameter is fed by a linked input socket when their names
 * match once an `_input`/`_text` suffix is dropped (`text_input` → `text`, `prompt_text` → `prompt`,
 * `lyrics` → `lyrics_text`), or when the socket's description says it replaces/overrides that parameter.
 */
export function linkFedParams(
  inputs: { name: string; description?: string | null }[],
  params: string[],
  linked: ReadonlySet<string>,
): Map<string, string> {
  const fed = new Map<string, string>();
  for (const socket of inputs) {
    if (!linked.has(socket.name)) continue;
    const base = socket.name.replace(FEED_SUFFIX, "");
    const desc = socket.description ?? "";
    const replaces = /\b(replac|overrid)/i.test(desc);
    for (const p of params) {
      if (fed.has(p)) continue;
      const named = p === socket.name || p.replace(FEED_SUFFIX, "") === base;
      const described = replaces && new RegExp(`(^|[^\\w])${escapeRe(p)}([^\\w]|$)`).test(desc);
      if (named || described) fed.set(p, socket.name);
    }
  }
  return fed;
}
