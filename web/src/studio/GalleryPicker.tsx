import { useEffect, useRef, useState } from "react";
import { api, downloadUrl, errorText } from "../lib/api";
import type { MediaGroup, MediaItem } from "../lib/types";
import { MediaThumb } from "../components/MediaThumb";
import { AsyncState } from "../components/AsyncState";
import { ModalActions } from "../components/ModalActions";
import { EmptyState, Modal } from "../components/ui";

/** Choose existing media (uploaded or generated) to feed an upload node. */
export function GalleryPicker({ kind, onPick, onClose }: { kind: string | null; onPick: (items: MediaItem[]) => void; onClose: () => void }) {
  const [groups, setGroups] = useState<MediaGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<MediaItem[]>([]);
  useEffect(() => {
    api.media(kind ?? undefined).then((r) => setGroups(r.groups), (e) => setError(errorText(e)));
  }, [kind]);
  // Audio has no picture: each audio item plays here (one at a time) before it is chosen.
  const player = useRef<HTMLAudioElement | null>(null);
  const [playing, setPlaying] = useState<string | null>(null);
  useEffect(() => () => player.current?.pause(), []);
  const listen = (id: string) => {
    const el = player.current ?? (player.current = new Audio());
    el.pause();
    if (playing === id) {
      setPlaying(null);
      return;
    }
    el.src = downloadUrl(id);
    el.onended = () => setPlaying(null);
    el.play().then(() => setPlaying(id), () => setPlaying(null));
  };
  const toggle = (m: MediaItem) => setChosen((c) => (c.some((x) => x.id === m.id) ? c.filter((x) => x.id !== m.id) : [...c, m]));
  return (
    <Modal title={`Pick ${kind ?? "media"} from your gallery`} onClose={onClose} wide>
      <AsyncState items={groups} error={error} loading="Loading gallery…" empty={<EmptyState title={`No ${kind ?? "media"} in your gallery yet`} />}>
        {(groups) => (
          <div className="picker-scroll">
            {groups.map((g) => (
              <section key={g.session_id ?? "none"}>
                <h3 className="small muted">{g.session_name ?? "Not in a session"}</h3>
                <ul className="media-grid compact">
                  {g.items.map((m) => (
                    <li key={m.id} className={`media-card ${chosen.some((x) => x.id === m.id) ? "selected" : ""}`}>
                      <button className="media-preview" onClick={() => toggle(m)} aria-pressed={chosen.some((x) => x.id === m.id)} aria-label={`Choose ${m.filename}`}>
                        <MediaThumb id={m.id} kind={m.media_type} name={m.filename} />
                      </button>
                      <div className="media-caption">
                        <span className="media-name" title={m.filename}>
                          {m.filename}
                        </span>
                        {m.media_type === "audio" && (
                          <button type="button" className="icon-btn media-play" onClick={() => listen(m.id)} aria-pressed={playing === m.id} aria-label={`${playing === m.id ? "Stop" : "Play"} ${m.filename}`}>
                            {playing === m.id ? "■" : "▶"}
                          </button>
                        )}
                      </div>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
          </div>
        )}
      </AsyncState>
      <ModalActions onCancel={onClose}>
        <button className="btn btn-primary" disabled={!chosen.length} onClick={() => onPick(chosen)} aria-label="Use selected media">
          Use {chosen.length || ""} selected
        </button>
      </ModalActions>
    </Modal>
  );
}
