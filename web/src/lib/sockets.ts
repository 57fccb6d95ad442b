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
