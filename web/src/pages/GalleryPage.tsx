import { useCallback, useEffect, useState } from "react";
import { api, downloadUrl, errorText, saveBlob } from "../lib/api";
import { batchesOf, dayBound, readableName } from "../lib/galleryView";
import { navigate } from "../lib/router";
import type { MediaGroup, MediaItem, Me } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { MediaLightbox } from "../components/MediaLightbox";
import { MediaThumb } from "../components/MediaThumb";
import { AsyncState } from "../components/AsyncState";
import { EmptyState } from "../components/ui";
import { toast } from "../components/toast";

export const MEDIA_FILTERS = [
  { value: "", label: "All" },
  { value: "image", label: "Images" },
  { value: "video", label: "Videos" },
  { value: "audio", label: "Audio" },
];

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function GalleryPage({ me }: { me: Me }) {
  const [filter, setFilter] = useState("");
  const [groups, setGroups] = useState<MediaGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [zipping, setZipping] = useState(false);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [viewing, setViewing] = useState<MediaItem | null>(null);

  const load = useCallback(() => {
    setError(null);
    setGroups(null);
    api.media(filter || undefined, { from: dayBound(from, false), to: dayBound(to, true) }).then((r) => setGroups(r.groups), (e) => setError(errorText(e)));
  }, [filter, from, to]);
  useEffect(load, [load]);

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  async function zip() {
    setZipping(true);
    try {
      saveBlob(await api.downloadZip([...selected]), "media.zip");
      toast(`Downloading ${selected.size} item(s) as a zip`, "success");
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setZipping(false);
    }
  }

  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body">
        <div className="page-title-row">
          <div>
            <h1>My Gallery</h1>
            <p className="muted">Everything you uploaded or generated, grouped by session.</p>
          </div>
          <div className="row gap">
            <div className="segmented" role="group" aria-label="Filter by type">
              {MEDIA_FILTERS.map((f) => (
                <button key={f.value} className={filter === f.value ? "active" : ""} aria-pressed={filter === f.value} onClick={() => setFilter(f.value)} aria-label={`Show ${f.label}`}>
                  {f.label}
                </button>
              ))}
            </div>
            <label className="small muted row gap-sm">
              From
              <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="From day" />
            </label>
            <label className="small muted row gap-sm">
              To
              <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="To day" />
            </label>
            <button className="btn" disabled={selected.size === 0 || zipping} onClick={zip} aria-label="Download selected as zip">
              {zipping ? "Preparing…" : `Download zip${selected.size ? ` (${selected.size})` : ""}`}
            </button>
          </div>
        </div>
        <AsyncState
          items={groups}
          error={error}
          onRetry={load}
          loading="Loading media…"
          empty={
            <EmptyState title="No media yet" icon="▣">
              <p className="muted">Run a workflow or upload photos, videos or audio in a session; they show up here.</p>
            </EmptyState>
          }
        >
          {(groups) => groups.map((g) => (
            <section key={g.session_id ?? "none"} className="gallery-group" aria-label={`Media of ${g.session_name ?? "no session"}`}>
              <header className="gallery-group-head">
                <h2>{g.session_name ?? "Not in a session"}</h2>
                <span className="muted small">{g.items.length} item(s)</span>
                {g.session_id && (
                  <button className="link-btn" onClick={() => navigate(`/studio/${g.session_id}`)} aria-label={`Open session ${g.session_name ?? ""}`}>
                    Open session →
                  </button>
                )}
              </header>
              <div className="gallery-batches">
              {batchesOf(g).map((b) => (
              <div key={b.key} className="gallery-batch">
              <p className="small muted gallery-batch-label">{b.label} · {b.items.length}</p>
              <ul className="media-grid">
                {b.items.map((m) => (
                  <li key={m.id} className={`media-card ${selected.has(m.id) ? "selected" : ""}`}>
                    <div className="media-preview">
                      <button className="media-open" onClick={() => setViewing(m)} aria-label={`Open ${readableName(m.filename)}`}>
                        <MediaThumb id={m.id} kind={m.media_type} name={readableName(m.filename)} />
                      </button>
                      <span className={`kind-badge kind-${m.media_type}`}>{m.media_type}</span>
                      <input type="checkbox" className="media-check" checked={selected.has(m.id)} onChange={() => toggle(m.id)} aria-label={`Select ${m.filename}`} />
                    </div>
                    <div className="media-meta">
                      <span className="ellipsis" title={m.filename}>{readableName(m.filename)}</span>
                      <span className="muted small">
                        {m.width && m.height ? `${m.width}×${m.height} · ` : ""}
                        {size(m.size_bytes)} · {m.origin ?? ""}
                      </span>
                    </div>
                    <a className="btn btn-small" href={downloadUrl(m.id, false)} download={m.filename} aria-label={`Download ${m.filename}`}>
                      Download
                    </a>
                  </li>
                ))}
              </ul>
              </div>
              ))}
              </div>
            </section>
          ))}
        </AsyncState>
        {viewing && groups && (
          <MediaLightbox
            item={viewing}
            items={groups.flatMap((g) => g.items)}
            onClose={() => setViewing(null)}
            onDeleted={() => {
              setViewing(null);
              load();
            }}
          />
        )}
      </main>
    </div>
  );
}
