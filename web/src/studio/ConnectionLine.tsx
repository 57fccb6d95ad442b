import { getBezierPath, useStore, type ConnectionLineComponentProps } from "@xyflow/react";
import type { FlowNode } from "../lib/graphDoc";
import { socketColor } from "../lib/sockets";
import { useStudio } from "./context";
import { connectionProblem } from "./linkRules";

/** The line drawn while dragging a link: socket-colored, red with the reason when the hovered socket refuses it. */
export function ConnectionLine(props: ConnectionLineComponentProps<FlowNode>) {
  const { drag, catalog } = useStudio();
  const edges = useStore((s) => s.edges);
  const { fromX, fromY, toX, toY, fromPosition, toPosition, fromNode, fromHandle, toNode, toHandle } = props;
  const [path] = getBezierPath({ sourceX: fromX, sourceY: fromY, sourcePosition: fromPosition, targetX: toX, targetY: toY, targetPosition: toPosition });
  let reason: string | null = null;
  if (toHandle && toNode) {
    const fromIsSource = fromHandle.type === "source";
    if (toHandle.type === fromHandle.type) reason = "connect an output to an input";
    else
      reason = fromIsSource
        ? connectionProblem(catalog, fromNode, fromHandle.id, toNode, toHandle.id, edges)
        : connectionProblem(catalog, toNode, toHandle.id, fromNode, fromHandle.id, edges);
  }
  const color = reason ? "#f87171" : socketColor(drag?.socketType ?? "");
  return (
    <g>
      <path d={path} fill="none" stroke={color} strokeWidth={2.5} strokeDasharray={reason ? "6 4" : undefined} />
      <circle cx={toX} cy={toY} r={4} fill={color} />
      {reason && (
        <foreignObject x={toX + 14} y={toY - 16} width={300} height={64} style={{ overflow: "visible" }}>
          <div className="link-refusal" role="alert" aria-label={`Link refused: ${reason}`}>
            Can’t connect: {reason}
          </div>
        </foreignObject>
      )}
    </g>
  );
}
