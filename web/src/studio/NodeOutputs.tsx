import { saveBlob } from "../lib/api";
import { ContentCredentials } from "../components/ContentCredentials";
import { decodeBase64, encodedFile, sizeText, type EncodedFile } from "../lib/encodedOutputs";
import { useEngineInfo } from "../lib/mediaInfo";
import type { MediaOutput, OutputValue, SocketSpec } from "../lib/types";

export function isMedia(v: unknown): v is MediaOutput {
  return !!v && typeof v === "object" && "media_id" in v && "url" in v;
}

/** Which engine made this media (from its record's metadata) and whether it is AI-generated. */
export function EngineBadge({ mediaId }: { mediaId: string }) {
  const info = useEngineInfo(mediaId);
  if (!info) return null;
  return (
    <span className="engine-badges" aria-label={`Made with ${info.engine ?? "a model"}${info.ai ? " (AI-generated)" : ""}`}>
      {info.ai && (
        <span className="ai-badge" title="AI-generated: marked in the file's metadata">
          AI
        </span>
      )}
      {info.engine && (
        <span className={`engine-chip ${info.classical ? "classical" : ""}`} title={info.classical ? "A classical method, not a model" : "Engine that produced this output"}>
          {info.engine}
        </span>
      )}
    </span>
  );
}

/** An output's media id is announced only once its file can be served (the run writer's rule): no retry. */
function MediaPreview({ value, label }: { value: MediaOutput; label: string }) {
  const src = value.url;
  if (value.kind === "image") return <img src={src} alt={`Output ${label}`} draggable={false} />;
  if (value.kind === "video") return <video src={src} controls preload="metadata" aria-label={`Output ${label}`} />;
  if (value.kind === "audio") return <audio src={src} controls preload="metadata" aria-label={`Output ${label}`} />;
  return null;
}

export function OutputValueView({ value, label, large, compact }: { value: OutputValue; label: string; large?: boolean; compact?: boolean }) {
  if (isMedia(value)) {
    const dims = value.width && value.height ? `${value.width}×${value.height}` : value.duration ? `${value.duration.toFixed(1)} s` : "";
    return (
      <>
        <figure className={`out-media ${large ? "large" : ""} ${compact ? "compact" : ""} kind-${value.kind}`}>
          <MediaPreview key={value.url} value={value} label={label} />
          {!compact && <EngineBadge mediaId={value.media_id} />}
          {dims && !compact && <figcaption>{dims}</figcaption>}
        </figure>
        {large && <ContentCredentials mediaId={value.media_id} />}
      </>
    );
  }
  if (Array.isArray(value)) {
    return (
      <div className="out-list">
        {value.map((v, i) => (
          <OutputValueView key={i} value={v as OutputValue} label={`${label} ${i + 1}`} large={large} compact={compact} />
        ))}
      </div>
    );
  }
  if (typeof value === "string") {
    const file = encodedFile(value);
    if (file) return <EncodedFileChip text={value} file={file} label={label} />;
  }
  if (typeof value === "string") return <pre className={`out-text ${compact ? "compact" : ""}`} aria-label={`Output ${label}`}>{value || "(empty text)"}</pre>;
  if (value === null || value === undefined) return null;
  if (typeof value === "object" && (value as { kind?: string }).kind === "gpu") {
    const device = (value as { device?: string }).device;
    return <span className="tag" title="Connected GPU nodes may run">Gate open{device ? ` · ${device}` : ""}</span>;
  }
  return <pre className="out-text">{JSON.stringify(value)}</pre>;
}

/** A file carried as text (e.g. the Music Generator's MIDI): a compact chip that downloads it. */
function EncodedFileChip({ text, file, label }: { text: string; file: EncodedFile; label: string }) {
  const download = () => saveBlob(new Blob([decodeBase64(text) as BlobPart], { type: file.mime }), `${label.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") || "output"}.${file.ext}`);
  return (
    <button type="button" className="tag out-file" onClick={download} aria-label={`Download ${label} (${file.label}, ${sizeText(file.bytes)})`} title="Download">
      ⤓ {file.label} · {sizeText(file.bytes)}
    </button>
  );
}

/** Every output value of a node, in socket order. */
/** The output a node fills when something went only partly right (text clipped by an overlay); the node shows it
 * as a warning line (see `outputWarning`), not as a text preview. */
export const WARNING_OUTPUT = "warning";

/** The node's warning, or null when its `warning` output is absent or empty. */
export function outputWarning(outputs: Record<string, OutputValue> | null | undefined): string | null {
  const w = outputs?.[WARNING_OUTPUT];
  return typeof w === "string" && w.trim() ? w : null;
}

export function NodeOutputs({ outputs, sockets, large }: { outputs: Record<string, OutputValue> | null | undefined; sockets: SocketSpec[]; large?: boolean }) {
  if (!outputs) return null;
  const names = sockets.length ? sockets.map((s) => s.name) : Object.keys(outputs);
  const shown = names.filter((n) => outputs[n] !== undefined && outputs[n] !== null && n !== WARNING_OUTPUT);
  if (!shown.length) return null;
  return (
    <div className="node-outputs nodrag" aria-label="Outputs">
      {shown.map((n) => (
        <OutputValueView key={n} value={outputs[n]} label={sockets.find((s) => s.name === n)?.label.toLowerCase() ?? n} large={large} />
      ))}
    </div>
  );
}
