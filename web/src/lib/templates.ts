/** Client-side workflow templates until GET /api/v2/recipes serves them. Only offered when the catalog has every node type. */
import type { Graph } from "./types";

export interface Template {
  id: string;
  title: string;
  description: string;
  graph: Graph;
}

const n = (id: string, type: string, x: number, y: number, params: Record<string, unknown> = {}, title?: string) => ({
  id, type, position: { x, y }, params, title: title ?? null, notes: null, width: null, height: null, parent_id: null, ui: {},
});
const e = (id: string, source: string, sh: string, target: string, th: string) => ({
  id, source, source_handle: sh, target, target_handle: th,
});

export const TEMPLATES: Template[] = [
  {
    id: "color-study",
    title: "Color study",
    description: "A solid background, tuned and resized for social posts.",
    graph: {
      nodes: [
        n("bg", "image.solid_color", 0, 80, { width: 1024, height: 1024, color: "#7c6cff" }, "Background"),
        n("adjust", "image.adjust", 320, 80, { brightness: 1.1, contrast: 1.2 }),
        n("resize", "image.resize", 640, 80, { width: 1080, height: 1350, mode: "cover" }, "Portrait 4:5"),
        { ...n("note", "comment", 0, -120, { text: "Change the color, then rerun only the Resize node to try other sizes.", color: "#fde68a" }), width: 300, height: 120 },
      ],
      edges: [e("e1", "bg", "image", "adjust", "image"), e("e2", "adjust", "image", "resize", "image")],
    },
  },
  {
    id: "photo-caption",
    title: "Photo with caption",
    description: "Upload a photo and place a caption on it.",
    graph: {
      nodes: [
        n("photo", "upload.image", 0, 0, {}, "Photo"),
        n("caption", "text", 0, 260, { text: "Summer collection" }, "Caption"),
        n("overlay", "image.text_overlay", 360, 80, { position: "bottom-center" }, "Caption overlay"),
      ],
      edges: [e("e1", "photo", "image", "overlay", "image"), e("e2", "caption", "text", "overlay", "text_input")],
    },
  },
  {
    id: "prompt-notes",
    title: "Prompt board",
    description: "A prompt and production notes, ready to connect to a generator.",
    graph: {
      nodes: [
        n("prompt", "text", 0, 0, { text: "a cinematic product shot on a dark reflective surface" }, "Prompt"),
        { ...n("note", "comment", 0, -150, { text: "Connect the prompt to a generation node from the palette.", color: "#bfdbfe" }), width: 300, height: 110 },
      ],
      edges: [],
    },
  },
];

/** Templates whose every node type is in the catalog. */
export function availableTemplates(types: Set<string>): Template[] {
  return TEMPLATES.filter((t) => t.graph.nodes.every((node) => types.has(node.type)));
}
