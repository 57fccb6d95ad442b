import { SOCKET_COLORS, SOCKET_LABELS, SOCKET_TYPES } from "../lib/sockets";

export function SocketLegend() {
  return (
    <ul className="legend" aria-label="Socket types">
      {SOCKET_TYPES.map((t) => (
        <li key={t} title={SOCKET_LABELS[t]}>
          <i style={{ background: SOCKET_COLORS[t] }} aria-hidden="true" />
          {t === "gpu" ? "GPU" : t}
        </li>
      ))}
    </ul>
  );
}
