import { useMemo, useState } from "react";
import { missingModel } from "../lib/modelKinds";
import { socketColor } from "../lib/sockets";
import type { NodeSpec } from "../lib/types";
import { categoryColor } from "./context";

import { searchSpecs } from "./nodeSearch";

export const NODE_MIME = "application/x-mas-node";

export function SocketDots({ spec }: { spec: NodeSpec }) {
  return (
    <span className="sock-dots" aria-hidden="true">
      {spec.inputs.map((s) => (
        <i key={`i${s.name}`} style={{ background: socketColor(s.type) }} />
      ))}
      {spec.inputs.length > 0 && spec.outputs.length > 0 && <b>→</b>}
      {spec.outputs.map((s) => (
        <i key={`o${s.name}`} style={{ background: socketColor(s.type) }} />
      ))}
    </span>
  );
}

/**
 * Node palette: search and categories; drag an item onto the canvas or press it to add. A node that needs a kind
 * of model none of `installedKinds` is says so before it is added.
 */
export function Palette({ specs, onAdd, installedKinds = null }: { specs: NodeSpec[]; onAdd: (type: string) => void; installedKinds?: ReadonlySet<string> | null }) {
  const [q, setQ] = useState("");
  const [closed, setClosed] = useState<Set<string>>(new Set());
  const groups = useMemo(() => {
    const m = new Map<string, NodeSpec[]>();
    for (const s of searchSpecs(specs, q)) m.set(s.category, [...(m.get(s.category) ?? []), s]);
    const rank = (c: string) => (c === "Inputs" ? 0 : c === "Annotations" ? 2 : 1);
    return [...m.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  }, [specs, q]);

  return (
    <aside className="palette" aria-label="Node palette">
      <div className="palette-search">
        <input type="search" placeholder="Search nodes…" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search nodes" />
      </div>
      <div className="palette-list">
        {groups.length === 0 && <p className="muted small pad">No node matches “{q}”.</p>}
        {groups.map(([cat, items]) => {
          const open = q !== "" || !closed.has(cat);
          return (
            <section key={cat} className="palette-cat">
              <button
                className="palette-cat-head"
                aria-expanded={open}
                aria-label={`${cat} category`}
                onClick={() =>
                  setClosed((s) => {
                    const n = new Set(s);
                    if (n.has(cat)) n.delete(cat);
                    else n.add(cat);
                    return n;
                  })
                }
              >
                <span className="cat-dot" style={{ background: categoryColor(cat) }} aria-hidden="true" />
                {cat}
                <span className="muted small">{items.length}</span>
                <span className="chev" aria-hidden="true">{open ? "▾" : "▸"}</span>
              </button>
              {open && (
                <ul>
                  {items.map((s) => {
                    const missing = missingModel(s, installedKinds);
                    return (
                    <li key={s.type}>
                      <div
                        role="button"
                        tabIndex={0}
                        className={`palette-item ${missing ? "needs-model" : ""}`}
                        draggable
                        onKeyDown={(e) => {
                          if (e.key === "Enter" || e.key === " ") {
                            e.preventDefault();
                            onAdd(s.type);
                          }
                        }}
                        onDragStart={(e) => {
                          e.dataTransfer.setData(NODE_MIME, s.type);
                          e.dataTransfer.effectAllowed = "move";
                        }}
                        onClick={() => onAdd(s.type)}
                        title={`${s.description}${missing ? `\n${missing}.` : ""}\nDrag onto the canvas or click to add.`}
                        aria-label={`Add ${s.title} node`}
                        data-node-type={s.type}
                      >
                        <span className="palette-item-title">
                          {s.title}
                          {s.gpu && <span className="gpu-badge">GPU</span>}
                          {missing && (
                            <span className="model-missing" aria-label={missing}>
                              no model
                            </span>
                          )}
                        </span>
                        <SocketDots spec={s} />
                      </div>
                    </li>
                    );
                  })}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </aside>
  );
}
