import { useEffect, useState } from "react";
import { errorText } from "../lib/api";
import { KEY_APIS, KEY_SCOPES, keysApi, type ApiKeyInfo, type KeyApi, type KeyScope } from "../lib/keysApi";
import { ModalActions } from "../components/ModalActions";
import { SecretOnce } from "../components/SecretOnce";
import { EmptyState, ErrorState, LoadingState, Modal } from "../components/ui";
import { toast } from "../components/toast";
import { useFieldErrors } from "../components/useFieldErrors";
import { CheckList } from "../components/CheckList";

function when(value: string | null | undefined, none: string): string {
  return value ? new Date(value).toLocaleString() : none;
}

/** Every API key of the user (the personal key included): scopes, allowlist, expiry, cap, last use; create and revoke. */
export function KeysTab() {
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);

  const load = () => {
    setError(null);
    keysApi.list().then((r) => setKeys(r.data), (e) => setError(errorText(e)));
  };
  useEffect(load, []);

  async function revoke(key: ApiKeyInfo) {
    setRevoking(null);
    try {
      await keysApi.revoke(key.id);
      toast(`Key "${key.name}" revoked`, "success");
      load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  if (error) return <ErrorState message={error} onRetry={load} />;
  if (!keys) return <LoadingState label="Loading keys…" />;
  return (
    <section className="card" aria-label="API keys">
      <p className="muted">
        Keys for the AI Visual Studio API (<code>/api/v1</code>) start with <code>avs_live_</code>, keys for the Miraflow API
        (<code>/api</code>) with <code>mfl_live_</code>; they can do only what their scopes allow; your personal <code>mas_</code> key
        has full access. Send a key as <code>Authorization: Bearer …</code>,{" "}
        <code>X-API-Key</code> or <code>X-Magnific-Api-Key</code>. Each key may make {keys[0]?.rate_limit_per_minute ?? 60} requests per minute.
      </p>
      {secret && <SecretOnce secret={secret} onDismiss={() => setSecret(null)} />}
      <button className="btn btn-primary" onClick={() => setCreating(true)} aria-label="Create API key">
        Create key
      </button>
      {keys.length === 0 ? (
        <EmptyState title="No API keys yet" />
      ) : (
        <ul aria-label="Your API keys" style={{ listStyle: "none", padding: 0, display: "grid", gap: 12, marginTop: 16, width: "100%" }}>
          {keys.map((key) => (
            <li key={key.id} className="card" aria-label={`Key ${key.name}`}>
              <div className="row gap" style={{ justifyContent: "space-between", alignItems: "center" }}>
                <strong>{key.name}</strong>
                <code className="key-prefix">{key.prefix}…</code>
                <button className="btn" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
                  Revoke
                </button>
              </div>
              <dl className="facts">
                <dt>Scopes</dt>
                <dd>{key.scopes.includes("*") ? "Full access" : key.scopes.join(", ")}</dd>
                <dt>Allowed addresses</dt>
                <dd>{key.ip_allowlist.length ? key.ip_allowlist.join(", ") : "Any"}</dd>
                <dt>Expires</dt>
                <dd>{when(key.expires_at, "Never")}</dd>
                <dt>Credit cap</dt>
                <dd>{key.spend_cap === null || key.spend_cap === undefined ? `No cap (${key.spent} spent)` : `${key.spent} of ${key.spend_cap} spent`}</dd>
                <dt>Rate limit</dt>
                <dd>{key.rate_limit_per_minute} per minute</dd>
                <dt>Last used</dt>
                <dd>{when(key.last_used_at, "Never")}</dd>
                <dt>Created</dt>
                <dd>{when(key.created_at, "")}{key.enabled ? "" : " (disabled)"}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setSecret(key);
            load();
          }}
        />
      )}
      {revoking && (
        <Modal title={`Revoke "${revoking.name}"?`} onClose={() => setRevoking(null)}>
          <p>The key stops working immediately, on every API. Integrations using it must be updated.</p>
          <ModalActions onCancel={() => setRevoking(null)}>
            <button className="btn btn-primary" onClick={() => revoke(revoking)} aria-label="Confirm revoke">
              Revoke
            </button>
          </ModalActions>
        </Modal>
      )}
    </section>
  );
}

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (secret: string) => void }) {
  const [name, setName] = useState("");
  const [api, setApi] = useState<KeyApi>("aivs");
  const [scopes, setScopes] = useState<KeyScope[]>(["read"]);
  const [allowlist, setAllowlist] = useState("");
  const [expires, setExpires] = useState("");
  const [cap, setCap] = useState("");
  const { clear, fail, fieldError } = useFieldErrors();
  const [busy, setBusy] = useState(false);

  async function submit() {
    setBusy(true);
    clear();
    try {
      const created = await keysApi.create({
        name,
        scopes,
        ip_allowlist: allowlist.split(/[\s,]+/).filter(Boolean),
        expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : null,
        spend_cap: cap === "" ? null : Number(cap),
      }, api);
      toast(`Key "${created.name}" created`, "success");
      onCreated(created.key);
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="Create API key" onClose={onClose}>
      <label className="field">
        Name
        <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} aria-label="Key name" autoFocus />
        {fieldError("name")}
      </label>
      <label className="field">
        For
        <select value={api} onChange={(e) => setApi(e.target.value as KeyApi)} aria-label="Key API">
          {KEY_APIS.map((choice) => (
            <option key={choice.id} value={choice.id}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
      <CheckList legend="Scopes" choices={KEY_SCOPES} chosen={scopes} onChange={setScopes} error={fieldError("scopes")} />
      <label className="field">
        Allowed IP addresses or networks (optional; one per line, IPv4 or IPv6)
        <textarea value={allowlist} rows={3} onChange={(e) => setAllowlist(e.target.value)} aria-label="IP allowlist" placeholder="203.0.113.0/24" />
        {fieldError("ip_allowlist")}
      </label>
      <label className="field">
        Expires (optional)
        <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} aria-label="Expiry date" />
        {fieldError("expires_at")}
      </label>
      <label className="field">
        Credit cap (optional)
        <input type="number" min={0} step={1} value={cap} onChange={(e) => setCap(e.target.value)} aria-label="Credit cap" />
        {fieldError("spend_cap")}
      </label>
      <ModalActions onCancel={onClose}>
        <button className="btn btn-primary" disabled={busy || !name.trim()} onClick={submit} aria-label="Confirm create key">
          Create
        </button>
      </ModalActions>
    </Modal>
  );
}
