import type { ReactNode } from "react";

/** The button row at the foot of a dialog: Cancel, then the dialog's own actions (the primary one last). */
export function ModalActions({ onCancel, children }: { onCancel: () => void; children: ReactNode }) {
  return (
    <div className="modal-actions">
      <button type="button" className="btn" onClick={onCancel} aria-label="Cancel">
        Cancel
      </button>
      {children}
    </div>
  );
}
