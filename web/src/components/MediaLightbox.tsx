import { useEffect, useMemo, useState, type ReactNode } from "react";
import { api, downloadUrl, errorText } from "../lib/api";
import { readableName } from "../lib/galleryView";
import { provenanceFacts } from "../lib/provenance";
import { ContentCredentials } from "./ContentCredentials";
import type { MediaItem } from "../lib/types";
import { toast } from "./toast";
import { Modal } from "./ui";

/**
 * Sections other features add under the facts (content credentials, …): each gets the open item's record.
 * Add one here rather than editing the lightbox's body.
 */
export const LIGHTBOX_PANELS: { id: string; render: (item: MediaItem) => ReactNode }[] = [];

function Media({ item }: { item: MediaItem }) {
  const url = downloadUrl(item.id);
  if (item.media_type === "image") return <img src={url} alt={readableName(item.filename)} className="lightbox-media" />;
  if (item.media_type === "video") return <video src={url} controls className="lightbox-media" aria-label={readableName(item.filename)} />;
  return <audio src={url} controls aria-label={readableName(item.filename)} />;
}

/** Before/after of two images: the second is revealed left of the slider. */
export function CompareSlider({ before, after }: { before: MediaItem; after: MediaItem }) {
  const [at, setAt] = useState(50);
  return (
    <div className="compare">
      <div className="compare-stage">
        <img src={downloadUrl(before.id)} alt={`Before: ${readableName(before.filename)}`} className="lightbox-media" />
        <img
          src={downloadUrl(after.id)}
          alt={`After: ${readableName(after.filename)}`}
          className="lightbox-media compare-top"
          style={{ clipPath: `inset(0 ${100 - at}% 0 0)` }}
        />
        <span className="compare-line" style={{ left: `${at}%` }} aria-hidden="true" />
      </div>
      <input type="range" min={0} max={100} value={at} onChange={(e) => setAt(Number(e.target.value))} aria-label="Compare position" className="compare-range" />
      <p className="small muted row gap">
        <span>◀ {readableName(after.filename)}</span>
        <span className="spacer" />
        <span>{readableName(before.filename)} ▶</span>
      </p>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/**
 * A gallery item large, with how it was made (prompt, seed, engine, model, parameters from its provenance),
 * a before/after compare with another image, download and delete; ← → step through `items`.
 */
export function MediaLightbox({ item, items, onClose, onDeleted }: { item: MediaItem; items: MediaItem[]; onClose: () => void; onDeleted: (id: string) => void }) {
  const [current, setCurrent] = useState(item);
  const [record, setRecord] = useState<MediaItem | null>(null);
  const [compareId, setCompareId] = useState("");
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    setRecord(null);
    setConfirming(false);
    api.mediaRecord(current.id).then(setRecord, () => setRecord(current));
  }, [current]);
  const facts = useMemo(() => provenanceFacts(record?.metadata ?? current.metadata), [record, current]);
  const others = items.filter((m) => m.media_type === "image" && m.id !== current.id);
  const compareWith = current.media_type === "image" ? others.find((m) => m.id === compareId) : undefined;
  const index = items.findIndex((m) => m.id === current.id);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as Element)?.closest?.("input, select, textarea")) return;
      if (e.key === "ArrowRight" && index < items.length - 1) setCurrent(items[index + 1]);
      if (e.key === "ArrowLeft" && index > 0) setCurrent(items[index - 1]);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [index, items]);

  async function remove() {
    try {
      await api.deleteMedia(current.id);
      toast(`Deleted ${readableName(current.filename)}`, "success");
      onDeleted(current.id);
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  const name = readableName(current.filename);
  return (
    <Modal title={name} onClose={onClose} wide>
      <div className="lightbox">
        <div className="lightbox-view">
          {compareWith ? <CompareSlider before={current} after={compareWith} /> : <Media item={current} />}
          <div className="row gap-sm lightbox-nav">
            <button className="btn btn-small" disabled={index <= 0} onClick={() => setCurrent(items[index - 1])} aria-label="Previous item">
              ←
            </button>
            <span className="small muted">
              {index + 1} / {items.length}
            </span>
            <button className="btn btn-small" disabled={index >= items.length - 1} onClick={() => setCurrent(items[index + 1])} aria-label="Next item">
              →
            </button>
          </div>
        </div>
        <div className="lightbox-side">
          <dl className="lightbox-facts" aria-label="How it was made">
            <Fact label="Made by">
              {facts.ai === true ? <span className="ai-badge">AI</span> : current.origin === "upload" && !facts.engine ? "Uploaded" : "Classical engine"}
              {facts.engine ? ` · ${facts.engine}` : ""}
            </Fact>
            {facts.model && <Fact label="Model">{facts.model}</Fact>}
            {facts.prompt && <Fact label="Prompt">{facts.prompt}</Fact>}
            {facts.negativePrompt && <Fact label="Negative prompt">{facts.negativePrompt}</Fact>}
            {facts.seed && <Fact label="Seed">{facts.seed}</Fact>}
            {facts.params.map(([k, v]) => (
              <Fact key={`p-${k}`} label={k}>
                {v}
              </Fact>
            ))}
            {facts.other.map(([k, v]) => (
              <Fact key={`o-${k}`} label={k}>
                {v}
              </Fact>
            ))}
            <Fact label="Created">{new Date(current.created_at).toLocaleString()}</Fact>
            <Fact label="File">
              {current.filename}
              {current.width && current.height ? ` · ${current.width}×${current.height}` : ""}
            </Fact>
          </dl>
          <ContentCredentials key={current.id} mediaId={current.id} />
          {current.media_type === "image" && others.length > 0 && (
            <label className="small muted lightbox-compare-pick">
              Compare with
              <select value={compareId} onChange={(e) => setCompareId(e.target.value)} aria-label="Compare with">
                <option value="">— none —</option>
                {others.map((m) => (
                  <option key={m.id} value={m.id}>
                    {readableName(m.filename)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {/* Extra panels (content credentials, …) go here: see LIGHTBOX_PANELS. */}
          <div className="lightbox-panels" data-slot="lightbox-panels">
            {LIGHTBOX_PANELS.map((p) => (
              <section key={p.id} className="lightbox-panel" aria-label={p.id}>
                {p.render(record ?? current)}
              </section>
            ))}
          </div>
          <div className="row gap-sm lightbox-actions">
            <a className="btn btn-small" href={downloadUrl(current.id, false)} download={current.filename} aria-label={`Download ${name}`}>
              Download
            </a>
            {confirming ? (
              <>
                <button className="btn btn-small btn-danger" onClick={() => void remove()} aria-label="Confirm delete">
                  Delete for good
                </button>
                <button className="btn btn-small" onClick={() => setConfirming(false)} aria-label="Keep it">
                  Keep
                </button>
              </>
            ) : (
              <button className="btn btn-small" onClick={() => setConfirming(true)} aria-label={`Delete ${name}`}>
                Delete
              </button>
            )}
          </div>
        </div>
      </div>
    </Modal>
  );
}
