import type { ReactNode } from "react";

export type DockTab = "nodes" | "gallery";

/** The canvas's left column: the node palette or the gallery, one at a time. */
export function SideDock({ tab, onTab, children }: { tab: DockTab; onTab: (t: DockTab) => void; children: ReactNode }) {
  return (
    <div className="side-dock">
      <div className="side-dock-tabs" role="tablist" aria-label="Left panel">
        {(["nodes", "gallery"] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? "active" : ""} onClick={() => onTab(t)} aria-label={t === "nodes" ? "Nodes tab" : "Gallery tab"}>
            {t === "nodes" ? "Nodes" : "Gallery"}
          </button>
        ))}
      </div>
      {children}
    </div>
  );
}
