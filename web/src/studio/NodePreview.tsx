import { useState } from "react";
import { createPortal } from "react-dom";
import { Modal } from "../components/ui";
import type { NodeSpec, OutputValue, SocketSpec } from "../lib/types";
import { encodedFile, sizeText } from "../lib/encodedOutputs";
import { EngineBadge, isMedia, NodeOutputs, WARNING_OUTPUT } from "./NodeOutputs";

const PREVIEW_SOCKETS: ReadonlySet<string> = new Set(["image", "video", "audio", "media"]);

/** Nodes that make media show it in a preview of fixed size, so the node never grows over its neighbours. */
export function hasPreview(spec: NodeSpec): boolean {
  return spec.outputs.some((s) => PREVIEW_SOCKETS.has(s.type));
}

function Tile({ value, label }: { value: OutputValue; label: string }) {
  if (isMedia(value)) {
    return (
      <>
        <MediaTile value={value} label={label} />
        <EngineBadge mediaId={value.media_id} />
      </>
    );
  }
  if (typeof value === "string") {
    const file = encodedFile(value);  // e.g. the Music Generator's MIDI: a chip, never a wall of base64
    if (file) return <span className="preview-chip" aria-label={`Output ${label}: ${file.label}`}>⤓ {file.label} · {sizeText(file.bytes)}</span>;
  }
  return <TextTile value={value} label={label} />;
}

function MediaTile({ value, label }: { value: OutputValue; label: string }) {
  if (isMedia(value)) {
    if (value.kind === "image") return <img src={value.url} alt={`Output ${label}`} draggable={false} />;
    if (value.kind === "video") return <video src={value.url} muted preload="metadata" aria-label={`Output ${label}`} />;
    return (
      <span className="preview-chip" aria-label={`Output ${label}`}>
        ♪ {label}
        {value.duration ? ` · ${value.duration.toFixed(1)} s` : ""}
      </span>
    );
  }
  return null;
}

function TextTile({ value, label }: { value: OutputValue; label: string }) {
  if (Array.isArray(value)) return value.length ? <Tile value={value[0] as OutputValue} label={`${label} (1 of ${value.length})`} /> : null;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return <span className="preview-text" aria-label={`Output ${label}`}>{text.length > 160 ? `${text.slice(0, 160)}…` : text}</span>;
}

/**
 * A node's outputs inside a box of fixed size (a run never changes the node's size; the sockets stay
 * where links are dropped); a click opens them at full size. Outdated outputs stay, dimmed and labelled.
 */
export function NodePreview({ title, outputs, sockets, outdated, busy }: { title: string; outputs: Record<string, OutputValue> | null | undefined; sockets: SocketSpec[]; outdated?: boolean; busy?: boolean }) {
  const [open, setOpen] = useState(false);
  const names = outputs ? (sockets.length ? sockets.map((s) => s.name) : Object.keys(outputs)) : [];
  const shown = names.filter((n) => outputs?.[n] !== undefined && outputs?.[n] !== null && n !== WARNING_OUTPUT); // the node shows a warning apart
  const labelOf = (n: string) => sockets.find((s) => s.name === n)?.label.toLowerCase() ?? n;
  return (
    <div className={`node-preview nodrag ${outdated ? "outdated" : ""} ${busy ? "stale" : ""}`} aria-label={`${title} preview`}>
      {shown.length ? (
        <button type="button" className={`node-outputs preview-grid n${Math.min(shown.length, 4)}`} onClick={() => setOpen(true)} aria-label={`Enlarge the output of ${title}`} title="Click to enlarge">
          {shown.slice(0, 4).map((n) => (
            <span key={n} className="preview-tile">
              <Tile value={outputs![n]} label={labelOf(n)} />
            </span>
          ))}
        </button>
      ) : (
        <span className="preview-empty">{busy ? "Working…" : "No output yet"}</span>
      )}
      {outdated && shown.length > 0 && (
        <span className="outdated-label" title="Its settings or inputs changed since: run it to update">
          Outdated
        </span>
      )}
      {open &&
        createPortal(
          <Modal title={`${title}: ${outdated ? "outdated output" : "output"}`} wide onClose={() => setOpen(false)}>
            <NodeOutputs outputs={outputs} sockets={sockets} large />
          </Modal>,
          document.body,
        )}
    </div>
  );
}
