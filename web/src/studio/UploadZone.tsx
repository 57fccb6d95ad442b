import { useRef, useState, type DragEvent } from "react";
import { MediaThumb } from "../components/MediaThumb";
import type { StudioNodeData } from "../lib/graphDoc";
import { useStudio } from "./context";

interface MediaInfo {
  kind: string;
  filename?: string;
}

/** Drop zone, file picker and gallery picker for upload nodes; shows the chosen media and which one is output. */
export function UploadZone({ nodeId, data, kind }: { nodeId: string; data: StudioNodeData; kind: string | null }) {
  const { actions, can } = useStudio();
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const ids = Array.isArray(data.params.media_ids) ? (data.params.media_ids as string[]) : [];
  const info = (data.ui.media ?? {}) as Record<string, MediaInfo>;
  const selectedIndex = typeof data.params.selected_index === "number" ? data.params.selected_index : 0;
  const random = data.params.selection === "random";

  async function send(files: File[]) {
    if (!files.length || !can.edit) return;
    setBusy(true);
    try {
      await actions.upload(nodeId, files);
    } finally {
      setBusy(false);
    }
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    void send([...e.dataTransfer.files]);
  }

  function remove(i: number) {
    const next = ids.filter((_, j) => j !== i);
    const patch: Record<string, unknown> = { media_ids: next };
    if (selectedIndex >= next.length) patch.selected_index = Math.max(0, next.length - 1);
    actions.updateParams(nodeId, patch);
  }

  return (
    <div className="upload nodrag">
      <fieldset className="insp-fields" disabled={!can.edit} aria-label="Upload node media">
      {ids.length > 0 && (
        <ul className="upload-items" aria-label="Uploaded media">
          {ids.map((id, i) => (
            <li key={id + i} className={!random && i === selectedIndex ? "picked" : ""}>
              <button
                className="upload-pick"
                aria-label={`Use item ${i + 1} as output`}
                aria-pressed={!random && i === selectedIndex}
                onClick={() => actions.updateParams(nodeId, { selected_index: i, ...(random ? {} : {}) })}
              >
                <MediaThumb id={id} kind={info[id]?.kind ?? kind ?? "image"} name={info[id]?.filename} />
              </button>
              <button className="upload-remove" onClick={() => remove(i)} aria-label={`Remove item ${i + 1}`}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <div
        className={`dropzone ${over ? "over" : ""}`}
        onDragOver={(e) => {
          if (e.dataTransfer.types.includes("Files")) {
            e.preventDefault();
            e.stopPropagation();
            setOver(true);
          }
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        aria-label="Drop files here"
      >
        {busy ? (
          <span>Uploading…</span>
        ) : (
          <>
            <span>{ids.length ? "Add more" : `Drop ${kind ?? "media"} here`}</span>
            <span className="row gap-sm">
              <button className="btn btn-small" onClick={() => input.current?.click()} aria-label="Choose files to upload">
                Browse
              </button>
              <button className="btn btn-small" onClick={() => actions.pickFromGallery(nodeId)} aria-label="Pick from gallery">
                Gallery
              </button>
            </span>
          </>
        )}
        <input
          ref={input}
          type="file"
          hidden
          multiple
          accept={kind ? `${kind}/*` : "image/*,video/*,audio/*"}
          aria-label="Upload file"
          onChange={(e) => {
            void send([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
      </div>
      </fieldset>
    </div>
  );
}
