import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { batchesOf, dayBound, readableName } from "../lib/galleryView";
import type { MediaGroup, MediaItem } from "../lib/types";
import { AsyncState } from "../components/AsyncState";
import { MediaThumb } from "../components/MediaThumb";
import { EmptyState } from "../components/ui";
import { MEDIA_FILTERS } from "../pages/GalleryPage";
import { MEDIA_MIME, type DraggedMedia } from "./mediaDrop";

/**
 * The gallery beside the canvas: the user's media by session and run, filtered by kind and day. Items drag
 * onto the canvas (a new upload node with that media) or onto an upload node (adds it there); a click opens
 * the lightbox.
 */
export function GalleryPanel({ sessionId, refreshKey, onOpen }: { sessionId: string; refreshKey: number; onOpen: (item: MediaItem, all: MediaItem[]) => void }) {
  const [kind, setKind] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [thisSession, setThisSession] = useState(false);
  const [groups, setGroups] = useState<MediaGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    api.media(kind || undefined, { from: dayBound(from, false), to: dayBound(to, true) }).then(
      (r) => setGroups(r.groups),
      (e) => setError(errorText(e)),
    );
  }, [kind, from, to]);
  useEffect(load, [load, refreshKey]);

  const shown = groups && thisSession ? groups.filter((g) => g.session_id === sessionId) : groups;
  const all = (shown ?? []).flatMap((g) => g.items);
  return (
    <aside className="palette gallery-panel" aria-label="Gallery panel">
      <div className="gallery-panel-filters">
        <div className="segmented small" role="group" aria-label="Gallery kind">
          {MEDIA_FILTERS.map((f) => (
            <button key={f.value} className={kind === f.value ? "active" : ""} aria-pressed={kind === f.value} onClick={() => setKind(f.value)} aria-label={`Gallery: ${f.label}`}>
              {f.label}
            </button>
          ))}
        </div>
        <div className="row gap-sm gallery-dates">
          <label className="small muted">
            From
            <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="Gallery from day" />
          </label>
          <label className="small muted">
            To
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="Gallery to day" />
          </label>
        </div>
        <div className="row gap-sm">
          <label className="small muted row gap-sm">
            <input type="checkbox" checked={thisSession} onChange={(e) => setThisSession(e.target.checked)} aria-label="Only this session" />
            Only this session
          </label>
          <button className="link-btn small" onClick={load} aria-label="Refresh gallery">
            ↻ Refresh
          </button>
        </div>
      </div>
      <div className="palette-list">
        <AsyncState items={shown} error={error} onRetry={load} loading="Loading gallery…" empty={<EmptyState title="Nothing here yet" />}>
          {(gs) =>
            gs.map((g) => (
              <section key={g.session_id ?? "none"} className="gallery-panel-group" aria-label={`Gallery of ${g.session_name ?? "no session"}`}>
                <h3 className="palette-cat-head">
                  <span className="ellipsis">{g.session_name ?? "Not in a session"}</span>
                  <span className="muted small">{g.items.length}</span>
                </h3>
                {batchesOf(g).map((b) => (
                  <div key={b.key} className="gallery-batch">
                    <p className="small muted gallery-batch-label">{b.label}</p>
                    <ul className="gallery-panel-grid">
                      {b.items.map((m) => (
                        <li key={m.id}>
                          <button
                            className="gallery-panel-item"
                            draggable
                            onDragStart={(e) => {
                              const payload: DraggedMedia = { id: m.id, kind: m.media_type, filename: m.filename };
                              e.dataTransfer.setData(MEDIA_MIME, JSON.stringify(payload));
                              e.dataTransfer.effectAllowed = "copy";
                            }}
                            onClick={() => onOpen(m, all)}
                            title={`${readableName(m.filename)}\nDrag onto the canvas or an upload node; click to open.`}
                            aria-label={`Gallery item ${readableName(m.filename)}`}
                            data-media-id={m.id}
                          >
                            <MediaThumb id={m.id} kind={m.media_type} name={readableName(m.filename)} />
                            <span className="gallery-panel-name ellipsis">{readableName(m.filename)}</span>
                          </button>
                        </li>
                      ))}
                    </ul>
                  </div>
                ))}
              </section>
            ))
          }
        </AsyncState>
      </div>
    </aside>
  );
}
