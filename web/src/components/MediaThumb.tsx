import { downloadUrl } from "../lib/api";

/** A small preview for any media kind. */
export function MediaThumb({ id, kind, name }: { id: string; kind: string; name?: string }) {
  const url = downloadUrl(id);
  if (kind === "image") return <img className="thumb" src={url} alt={name ?? "image"} loading="lazy" draggable={false} />;
  if (kind === "video") return <video className="thumb" src={url} muted preload="metadata" aria-label={name ?? "video"} />;
  return (
    <div className="thumb thumb-audio" aria-label={name ?? "audio"}>
      <span aria-hidden="true">♪</span>
      <span className="small">{name ?? "audio"}</span>
    </div>
  );
}
