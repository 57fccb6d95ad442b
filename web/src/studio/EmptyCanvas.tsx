import type { NodeSpec } from "../lib/types";

/** Node types offered as one-click starters on an empty canvas (when the catalog has them). */
const STARTERS = ["text", "upload.image", "image.solid_color"];

/** The invitation shown over a canvas with no nodes. */
export function EmptyCanvas({ catalog, onAdd }: { catalog: Map<string, NodeSpec>; onAdd: (type: string) => void }) {
  return (
    <div className="canvas-empty">
      <h2>Start your workflow</h2>
      <p>Drag a node from the palette, or double-click anywhere on the canvas to search.</p>
      <div className="row gap-sm">
        {STARTERS.filter((t) => catalog.has(t)).map((t) => (
          <button key={t} className="btn" onClick={() => onAdd(t)} aria-label={`Add ${catalog.get(t)!.title}`}>
            + {catalog.get(t)!.title}
          </button>
        ))}
      </div>
    </div>
  );
}
