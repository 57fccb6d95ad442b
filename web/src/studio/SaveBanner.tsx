import type { Rebased } from "../lib/rebase";
import type { SaveState } from "./useAutosave";

/**
 * What the canvas says when autosave cannot go on: a conflict (the session was saved elsewhere) or a
 * tab that is behind (another tab saved a newer version) offer to take the newer version and re-apply
 * this tab's own edits on top; an error offers a retry. Nothing otherwise.
 */
export function SaveBanner({ state, onMerge, onRetry }: { state: SaveState; onMerge: () => void; onRetry: () => void }) {
  if (state.kind === "conflict" || state.kind === "behind") {
    const conflict = state.kind === "conflict";
    return (
      <div className="banner banner-conflict" role="alert">
        <strong>{conflict ? "This session was changed somewhere else" : "A newer version was saved in another tab"}</strong>
        <span>
          {conflict
            ? `Your latest edits were not saved${state.current ? ` (the session is now at version ${state.current})` : ""}.`
            : `This tab shows an older version${state.kind === "behind" ? ` (the session is now at version ${state.version})` : ""}.`}{" "}
          Update to the newest version: the changes you made here are re-applied on top of it.
        </span>
        <button className="btn btn-primary" aria-label="Update and re-apply my edits" onClick={onMerge}>
          Update and re-apply my edits
        </button>
      </div>
    );
  }
  if (state.kind === "error") {
    return (
      <div className="banner banner-error" role="alert">
        <strong>Not saved</strong>
        <span>{state.message}</span>
        <button className="btn" onClick={onRetry} aria-label="Retry saving">
          Retry
        </button>
      </div>
    );
  }
  return null;
}

/** After an update: which of this tab's edits were re-applied on the newer version, and which could not be. */
export function MergedBanner({ merged, onDismiss }: { merged: Rebased; onDismiss: () => void }) {
  return (
    <div className="banner banner-ok merged-banner" role="status" aria-label="Merged with the newer version">
      <strong>Updated to the newest version</strong>
      {merged.applied.length === 0 && merged.dropped.length === 0 ? (
        <span>You had no changes of your own to re-apply.</span>
      ) : (
        <ul aria-label="Re-applied edits">
          {merged.applied.map((a) => (
            <li key={a}>Re-applied: {a}</li>
          ))}
          {merged.dropped.map((d) => (
            <li key={d} className="muted">
              Not re-applied: {d}
            </li>
          ))}
        </ul>
      )}
      <button className="btn" onClick={onDismiss} aria-label="Dismiss">
        OK
      </button>
    </div>
  );
}
