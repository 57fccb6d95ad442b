import type { SaveState } from "./useAutosave";

/**
 * What the canvas says when autosave fails: a conflict (the session was saved elsewhere; reload,
 * with the edits kept on the clipboard) or an error (retry). Nothing otherwise.
 */
export function SaveBanner({ state, onReload, onRetry }: { state: SaveState; onReload: () => void; onRetry: () => void }) {
  if (state.kind === "conflict") {
    return (
      <div className="banner banner-conflict" role="alert">
        <strong>This session was changed somewhere else</strong>
        <span>
          Your latest edits were not saved{state.current ? ` (the session is now at version ${state.current})` : ""}. Reload to get the
          newest version; your edits are kept on the clipboard so you can paste them back.
        </span>
        <button className="btn btn-primary" aria-label="Reload session" onClick={onReload}>
          Reload session
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
