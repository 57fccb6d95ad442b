import { useState } from "react";

/** A just-issued secret with a copy button: it is shown only once. */
export function SecretOnce({ secret, onDismiss, label = "API key" }: { secret: string; onDismiss: () => void; label?: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      const input = document.getElementById("api-key-secret") as HTMLInputElement | null;
      input?.select();
      document.execCommand("copy");
    }
    setCopied(true);
  }
  return (
    <div className="secret-box" role="region" aria-label={`New ${label}`}>
      <strong>Copy your new key now. It is shown only once.</strong>
      <div className="row gap">
        <input id="api-key-secret" className="mono grow" readOnly value={secret} aria-label={`New ${label} secret`} onFocus={(e) => e.target.select()} />
        <button className="btn btn-primary" onClick={copy} aria-label={`Copy ${label}`}>
          {copied ? "Copied ✓" : "Copy"}
        </button>
      </div>
      <button className="link-btn" onClick={onDismiss} aria-label="I have stored the key">
        I have stored it safely
      </button>
    </div>
  );
}
