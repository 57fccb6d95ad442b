import { useEffect, useRef, useState } from "react";
import { addLeaveGuard } from "../lib/router";

/** A just-issued secret with a copy button: it is shown only once. "Copied" belongs to this very secret
 * (a regenerated key starts uncopied), and leaving the page before copying or dismissing it asks first. */
export function SecretOnce({ secret, onDismiss, label = "API key" }: { secret: string; onDismiss: () => void; label?: string }) {
  const [copiedSecret, setCopiedSecret] = useState<string | null>(null);
  const copied = copiedSecret === secret;
  const uncopied = useRef(!copied);
  uncopied.current = !copied;
  useEffect(
    () => addLeaveGuard(() => (uncopied.current ? `Your new ${label} is shown only once and was not copied. Leave anyway?` : null)),
    [label],
  );
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      const input = document.getElementById("api-key-secret") as HTMLInputElement | null;
      input?.select();
      document.execCommand("copy");
    }
    setCopiedSecret(secret);
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
