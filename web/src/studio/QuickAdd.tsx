import { useEffect, useMemo, useRef, useState } from "react";
import { missingModel } from "../lib/modelKinds";
import type { NodeSpec } from "../lib/types";
import { searchSpecs } from "./nodeSearch";
import { SocketDots } from "./Palette";

/** Double-click the canvas: type to find a node, Enter to add it where you clicked. */
export function QuickAdd({ specs, x, y, onPick, onClose, installedKinds = null }: { specs: NodeSpec[]; x: number; y: number; onPick: (type: string) => void; onClose: () => void; installedKinds?: ReadonlySet<string> | null }) {
  const [q, setQ] = useState("");
  const [i, setI] = useState(0);
  const ref = useRef<HTMLInputElement>(null);
  const list = useMemo(() => searchSpecs(specs, q).slice(0, 10), [specs, q]);
  useEffect(() => ref.current?.focus(), []);
  useEffect(() => setI(0), [q]);
  const left = Math.min(x, window.innerWidth - 320);
  const top = Math.min(y, window.innerHeight - 380);
  return (
    <div className="quick-add" style={{ left, top }} role="dialog" aria-label="Add a node">
      <input
        ref={ref}
        value={q}
        placeholder="Search nodes to add…"
        aria-label="Search nodes to add"
        onChange={(e) => setQ(e.target.value)}
        onBlur={() => setTimeout(onClose, 150)}
        onKeyDown={(e) => {
          if (e.key === "Escape") onClose();
          else if (e.key === "ArrowDown") setI((v) => Math.min(v + 1, list.length - 1));
          else if (e.key === "ArrowUp") setI((v) => Math.max(v - 1, 0));
          else if (e.key === "Enter" && list[i]) onPick(list[i].type);
          else return;
          e.preventDefault();
        }}
      />
      <ul role="listbox" aria-label="Matching nodes">
        {list.map((s, j) => {
          const missing = missingModel(s, installedKinds);
          return (
          <li key={s.type} role="option" aria-selected={j === i}>
            <button className={j === i ? "active" : ""} onMouseDown={(e) => e.preventDefault()} onClick={() => onPick(s.type)} aria-label={`Add ${s.title}`}>
              <span>
                {s.title} <span className="muted small">{s.category}</span>{" "}
                {missing && (
                  <span className="model-missing" aria-label={missing} title={missing}>
                    no model
                  </span>
                )}
              </span>
              <SocketDots spec={s} />
            </button>
          </li>
          );
        })}
        {list.length === 0 && <li className="muted small pad">Nothing matches.</li>}
      </ul>
    </div>
  );
}
