import type { MediaOutput, OutputValue, SocketSpec } from "../lib/types";

function isMedia(v: unknown): v is MediaOutput {
  return !!v && typeof v === "object" && "media_id" in v && "url" in v;
}

function OutputValueView({ value, label, large }: { value: OutputValue; label: string; large?: boolean }) {
  if (isMedia(value)) {
    const dims = value.width && value.height ? `${value.width}×${value.height}` : value.duration ? `${value.duration.toFixed(1)} s` : "";
    return (
      <figure className={`out-media ${large ? "large" : ""}`}>
        {value.kind === "image" && <img src={value.url} alt={`Output ${label}`} draggable={false} />}
        {value.kind === "video" && <video src={value.url} controls preload="metadata" aria-label={`Output ${label}`} />}
        {value.kind === "audio" && <audio src={value.url} controls preload="metadata" aria-label={`Output ${label}`} />}
        {dims && <figcaption>{dims}</figcaption>}
      </figure>
    );
  }
  if (Array.isArray(value)) {
    return (
      <div className="out-list">
        {value.map((v, i) => (
          <OutputValueView key={i} value={v as OutputValue} label={`${label} ${i + 1}`} large={large} />
        ))}
      </div>
    );
  }
  if (typeof value === "string") return <pre className="out-text" aria-label={`Output ${label}`}>{value || "(empty text)"}</pre>;
  if (value === null || value === undefined) return null;
  if (typeof value === "object" && (value as { kind?: string }).kind === "gpu") return <span className="tag">GPU ready</span>;
  return <pre className="out-text">{JSON.stringify(value)}</pre>;
}

/** Every output value of a node, in socket order. */
export function NodeOutputs({ outputs, sockets, large }: { outputs: Record<string, OutputValue> | null | undefined; sockets: SocketSpec[]; large?: boolean }) {
  if (!outputs) return null;
  const names = sockets.length ? sockets.map((s) => s.name) : Object.keys(outputs);
  const shown = names.filter((n) => outputs[n] !== undefined && outputs[n] !== null);
  if (!shown.length) return null;
  return (
    <div className="node-outputs nodrag" aria-label="Outputs">
      {shown.map((n) => (
        <OutputValueView key={n} value={outputs[n]} label={sockets.find((s) => s.name === n)?.label.toLowerCase() ?? n} large={large} />
      ))}
    </div>
  );
}
