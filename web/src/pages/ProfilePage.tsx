import { useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { navigate } from "../lib/router";
import type { ApiKeyStatus, Me } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { ModalActions } from "../components/ModalActions";
import { SecretOnce } from "../components/SecretOnce";
import { ErrorState, LoadingState, Modal } from "../components/ui";
import { toast } from "../components/toast";
import { KeysTab } from "./KeysTab";
import { WebhooksTab } from "./WebhooksTab";

const TABS = [
  { id: "account", label: "Account" },
  { id: "api-key", label: "API Key" },
  { id: "keys", label: "Keys" },
  { id: "webhooks", label: "Webhooks" },
];

export function ProfilePage({ me, tab, onSignedOut }: { me: Me; tab: string; onSignedOut: () => void }) {
  const current = TABS.some((t) => t.id === tab) ? tab : "api-key";
  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body narrow">
        <h1>Profile</h1>
        <div className="tabs" role="tablist" aria-label="Profile sections">
          {TABS.map((t) => (
            <button key={t.id} role="tab" aria-selected={current === t.id} className={current === t.id ? "active" : ""} onClick={() => navigate(`/profile/${t.id}`, true)}>
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" aria-label={TABS.find((t) => t.id === current)?.label}>
          {current === "account" ? <AccountTab me={me} onSignedOut={onSignedOut} /> : current === "keys" ? <KeysTab /> : current === "webhooks" ? <WebhooksTab /> : <ApiKeyTab />}
        </div>
      </main>
    </div>
  );
}

function AccountTab({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  return (
    <section className="card">
      <dl className="facts">
        <dt>Email</dt>
        <dd>{me.email}</dd>
        <dt>Role</dt>
        <dd>{me.is_admin ? "Administrator" : "Member"}</dd>
        <dt>Member since</dt>
        <dd>{new Date(me.created_at).toLocaleDateString()}</dd>
      </dl>
      <button
        className="btn"
        aria-label="Sign out"
        onClick={async () => {
          await api.logout().catch(() => undefined);
          onSignedOut();
          navigate("/login", true);
        }}
      >
        Sign out
      </button>
    </section>
  );
}

function ApiKeyTab() {
  const [status, setStatus] = useState<ApiKeyStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = () => {
    setError(null);
    api.apiKey().then(setStatus, (e) => setError(errorText(e)));
  };
  useEffect(load, []);

  function apply(s: ApiKeyStatus) {
    setStatus(s);
    if (s.api_key) setSecret(s.api_key);
  }

  async function toggle(enabled: boolean) {
    setBusy(true);
    try {
      apply(await api.setApiKey(enabled));
      toast(enabled ? "API access enabled" : "API access disabled", "success");
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setBusy(false);
    }
  }

  async function regenerate() {
    setConfirming(false);
    setBusy(true);
    try {
      apply(await api.regenerateApiKey());
      toast("A new API key was issued; the old one stopped working", "success");
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setBusy(false);
    }
  }

  if (error) return <ErrorState message={error} onRetry={load} />;
  if (!status) return <LoadingState label="Loading API key…" />;
  return (
    <section className="card" aria-label="API key">
      <p className="muted">
        API keys start with <code>mas_</code> and act as you: sessions, media and recipes behave exactly like this account.
        Send it as <code>Authorization: Bearer mas_…</code>.
      </p>
      <label className="switch-row">
        <input type="checkbox" role="switch" checked={status.enabled} disabled={busy} onChange={(e) => toggle(e.target.checked)} aria-label="Enable API access" />
        <span className="switch" aria-hidden="true" />
        <span>{status.enabled ? "API access is enabled" : "API access is disabled"}</span>
      </label>
      <div className="key-row">
        <span className="muted">Current key</span>
        <code className="key-prefix" aria-label="API key prefix">
          {status.prefix ? `${status.prefix}…` : "No key issued yet"}
        </code>
        {status.created_at && <span className="muted small">issued {new Date(status.created_at).toLocaleString()}</span>}
      </div>
      {secret && <SecretOnce secret={secret} onDismiss={() => setSecret(null)} />}
      <button className="btn" disabled={busy} onClick={() => setConfirming(true)} aria-label="Regenerate API key">
        Regenerate key
      </button>
      {confirming && (
        <Modal title="Regenerate API key?" onClose={() => setConfirming(false)}>
          <p>The current key stops working immediately. Integrations using it must be updated.</p>
          <ModalActions onCancel={() => setConfirming(false)}>
            <button className="btn btn-primary" onClick={regenerate} aria-label="Confirm regenerate">
              Regenerate
            </button>
          </ModalActions>
        </Modal>
      )}
    </section>
  );
}
