import { NodeResizer, useStore, type NodeProps } from "@xyflow/react";
import { memo, type CSSProperties } from "react";
import type { FlowNode } from "../lib/graphDoc";
import { useStudio } from "./context";

/** A production note on the canvas (node type `comment`). */
export const CommentNode = memo(function CommentNode({ id, data, selected }: NodeProps<FlowNode>) {
  const { actions } = useStudio();
  const color = typeof data.params.color === "string" ? data.params.color : "#fde68a";
  const text = typeof data.params.text === "string" ? data.params.text : "";
  return (
    <div
      className={`comment-node ${selected ? "selected" : ""}`}
      style={{ "--note": color } as CSSProperties}
      aria-label="Comment"
      onContextMenu={(e) => {
        e.preventDefault();
        actions.openMenu(id, e.clientX, e.clientY);
      }}
    >
      <NodeResizer isVisible={!!selected} minWidth={160} minHeight={80} lineClassName="resize-line" handleClassName="resize-handle" />
      <textarea
        className="comment-text nodrag nowheel"
        value={text}
        placeholder="Write a note for your team…"
        aria-label="Comment text"
        onChange={(e) => actions.updateParams(id, { text: e.target.value }, `param:${id}:text`)}
      />
    </div>
  );
});

/** A frame whose members move together (node type `group`; members set parent_id). */
export const FrameNode = memo(function FrameNode({ id, data, selected }: NodeProps<FlowNode>) {
  const { actions } = useStudio();
  const color = typeof data.params.color === "string" ? data.params.color : "#93c5fd";
  const label = (typeof data.params.label === "string" && data.params.label) || data.title || "Group";
  // Members grow when they show outputs: the frame's outline follows them instead of cutting through.
  const fit = useStore((s) => {
    let w = 0;
    let h = 0;
    for (const n of s.nodes) {
      if (n.parentId !== id) continue;
      w = Math.max(w, n.position.x + (n.measured?.width ?? 0) + 24);
      h = Math.max(h, n.position.y + (n.measured?.height ?? 0) + 24);
    }
    return `${Math.round(w)}x${Math.round(h)}`;
  });
  const [minW, minH] = fit.split("x").map(Number);
  return (
    <div
      className={`frame-node ${selected ? "selected" : ""}`}
      style={{ "--frame": color, minWidth: minW || undefined, minHeight: minH || undefined } as CSSProperties}
      aria-label={`Group ${label}`}
      onContextMenu={(e) => {
        e.preventDefault();
        actions.openMenu(id, e.clientX, e.clientY);
      }}
    >
      <NodeResizer isVisible={!!selected} minWidth={200} minHeight={120} lineClassName="resize-line" handleClassName="resize-handle" />
      <div className="frame-label">{label}</div>
    </div>
  );
});
