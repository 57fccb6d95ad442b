/** A media file's C2PA Content Credentials: who signed it, how it was made (AI or not, engine, model),
 * what it was made from, and a ✓/✗ badge for whether the signature and hashes still verify.
 * Self-contained (fetches `/media/{id}/credentials` itself) so any preview or lightbox mounts it with one line. */
import { useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import type { ContentCredentials as Credentials } from "../lib/types";

const SOURCE_TYPES: Record<string, string> = {
  trainedAlgorithmicMedia: "AI-generated (a trained model)",
  compositeWithTrainedAlgorithmicMedia: "Composite with AI-generated parts",
  algorithmicMedia: "Made by an algorithm (no AI model)",
  composite: "Edited from other media (no AI model)",
  digitalCapture: "Captured by a camera",
};

export function sourceTypeText(uri: string | null | undefined): string {
  if (!uri) return "not stated";
  const name = uri.split("/").pop() ?? uri;
  return SOURCE_TYPES[name] ?? name;
}

export function ContentCredentials({ mediaId }: { mediaId: string }) {
  const [state, setState] = useState<{ id: string; creds?: Credentials; error?: string } | null>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    let live = true;
    api.mediaCredentials(mediaId).then(
      (creds) => live && setState({ id: mediaId, creds }),
      (e) => live && setState({ id: mediaId, error: errorText(e) }),
    );
    return () => {
      live = false;
    };
  }, [mediaId]);
  const current = state && state.id === mediaId ? state : null;
  if (!current) return <div className="content-credentials muted small">Checking Content Credentials…</div>;
  if (current.error) return <div className="content-credentials muted small" role="status">Content Credentials: {current.error}</div>;
  const c = current.creds!;
  if (!c.present) {
    return (
      <div className="content-credentials muted small" aria-label="Content Credentials">
        No Content Credentials (the studio signs the images and videos it makes, not uploads or audio)
      </div>
    );
  }
  const badge = c.verified ? (c.trusted ? "✓ Verified" : "✓ Intact, signer not trusted here") : "✗ Does not verify";
  return (
    <section className={`content-credentials ${c.verified ? "verified" : "failed"}`} aria-label="Content Credentials">
      <button type="button" className="cc-head" onClick={() => setOpen((o) => !o)} aria-expanded={open} aria-label={`Content Credentials: ${badge}`}>
        <span className={`cc-badge ${c.verified ? "ok" : "bad"}`} title={c.verified ? "Signature and content hashes check out" : c.failures.join(", ")}>
          {badge}
        </span>
        <span className="cc-summary">
          {c.ai_generated ? "AI-generated" : "Not AI-generated"}
          {c.engine ? ` · ${c.engine}` : ""}
          {c.model ? ` · ${c.model}` : ""}
        </span>
        <span className="muted small">{open ? "▾" : "▸"} Content Credentials</span>
      </button>
      {open && (
        <dl className="cc-details">
          <dt>Signed by</dt>
          <dd>{c.signer ?? "unknown"}{c.issuer ? ` (issued by ${c.issuer})` : ""}</dd>
          <dt>Made with</dt>
          <dd>{c.claim_generator ?? "unknown"}</dd>
          <dt>Source</dt>
          <dd>{sourceTypeText(c.digital_source_type)}</dd>
          {c.node_type && (
            <>
              <dt>Node</dt>
              <dd>{c.node_type}</dd>
            </>
          )}
          <dt>Actions</dt>
          <dd>{c.actions.map((a) => a.action?.replace(/^c2pa\./, "")).join(", ") || "none"}</dd>
          <dt>Made from</dt>
          <dd>
            {c.ingredients.length ? (
              <ul className="cc-ingredients">
                {c.ingredients.map((i, n) => (
                  <li key={n}>
                    {i.title ?? i.media_id ?? "a file"} <span className="muted small">({i.relationship === "parentOf" ? "edited" : "component"}{i.has_credentials ? ", has its own credentials" : ""})</span>
                  </li>
                ))}
              </ul>
            ) : (
              "nothing: made from scratch"
            )}
          </dd>
          {!c.verified && c.failures.length > 0 && (
            <>
              <dt>Problems</dt>
              <dd className="cc-failures">{c.failures.join(", ")}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}
