import { useCallback, useEffect, useState } from "react";
import { errorText } from "../lib/api";
import { appsApi, VISIBILITIES, type AppAnalytics, type AppInfo, type AppVisibility } from "../lib/appsApi";
import type { Me } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { AsyncState } from "../components/AsyncState";
import { SecretOnce } from "../components/SecretOnce";
import { EmptyState } from "../components/ui";
import { toast } from "../components/toast";

/** Published apps: yours and those shared with you, each with its id (the Magnific API's app id), inputs,
 * and for your own the runs so far. Also the key and webhook secret a Magnific client needs. */
export function AppsPage({ me }: { me: Me }) {
  const [items, setItems] = useState<AppInfo[] | null>(null);
  const [stats, setStats] = useState<Record<string, AppAnalytics>>({});
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [newKey, setNewKey] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    appsApi.list().then(
      (r) => {
        setItems(r.items);
        for (const app of r.items.filter((a) => a.is_owner)) {
          appsApi.analytics(app.id).then((s) => setStats((cur) => ({ ...cur, [app.id]: s })), () => undefined);
        }
      },
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(load, [load]);

  async function remove(app: AppInfo) {
    if (!window.confirm(`Delete the app “${app.name}”? Clients using ${app.id} will get 404.`)) return;
    try {
      await appsApi.remove(app.id);
      toast(`Deleted “${app.name}”`, "info");
      load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  async function share(app: AppInfo, visibility: AppVisibility) {
    try {
      await appsApi.update(app.id, { visibility });
      toast(`“${app.name}” is now ${visibility}`, "success");
      load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  async function makeKey() {
    try {
      setNewKey((await appsApi.createKey("Magnific apps")).key);
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body">
        <h1>Apps</h1>
        <p className="muted">
          Workflows published from the canvas (<strong>◈ App</strong> in the studio bar). Run them over the Magnific apps API: <code className="mono">POST /v1/ai/apps/&lt;id&gt;/run</code> with an{" "}
          <code className="mono">X-Magnific-Api-Key</code>.
        </p>
        <div className="row gap">
          <button className="btn" onClick={() => void makeKey()} aria-label="Create a Magnific API key">
            New API key
          </button>
          <button className="btn" onClick={() => appsApi.webhookSecret().then((r) => setSecret(r.secret), (e) => toast(errorText(e), "error"))} aria-label="Show the webhook signing secret">
            Webhook secret
          </button>
        </div>
        {newKey && <SecretOnce secret={newKey} onDismiss={() => setNewKey(null)} label="Magnific API key" />}
        {secret && (
          <p className="small">
            Runs' webhooks are signed with <code className="mono" aria-label="Webhook signing secret">{secret}</code> (Standard Webhooks headers and X-Webhook-Signature).
          </p>
        )}
        <AsyncState items={items} error={error} onRetry={load} loading="Loading apps…" empty={<EmptyState title="No apps yet: publish one from a session" icon="⇪" />}>
          {(list) => (
            <ul className="share-list" aria-label="Apps">
              {list.map((app) => (
                <li key={app.id} className="share-row" aria-label={`App ${app.name}`}>
                  <div className="grow">
                    <strong>{app.name}</strong> <code className="mono" aria-label={`Id of ${app.name}`}>{app.id}</code> <span className="pill">{app.visibility}</span>{" "}
                    {!app.is_owner && <span className="muted small">by {app.owner_email}</span>}
                    {app.description && <div className="muted small">{app.description}</div>}
                    <div className="muted small">
                      {app.output_count} output{app.output_count === 1 ? "" : "s"} · {app.total_cost} credits a run
                    </div>
                    <table className="table" aria-label={`Inputs of ${app.name}`}>
                      <thead>
                        <tr>
                          <th>Input id</th>
                          <th>Type</th>
                          <th>Label</th>
                          <th>Required</th>
                        </tr>
                      </thead>
                      <tbody>
                        {app.inputs.map((input) => (
                          <tr key={input.id}>
                            <td className="mono small">{input.id}</td>
                            <td>{input.type}</td>
                            <td>{input.label}</td>
                            <td>{input.required ? "yes" : "no"}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                    {app.is_owner && stats[app.id] && (
                      <table className="table" aria-label={`Runs of ${app.name}`}>
                        <thead>
                          <tr>
                            <th className="num">Runs</th>
                            <th className="num">Completed</th>
                            <th className="num">Failed</th>
                            <th className="num">Running</th>
                            <th className="num">Credits</th>
                          </tr>
                        </thead>
                        <tbody>
                          <tr>
                            <td className="num">{stats[app.id].runs}</td>
                            <td className="num">{stats[app.id].completed}</td>
                            <td className="num">{stats[app.id].failed}</td>
                            <td className="num">{stats[app.id].running}</td>
                            <td className="num">{stats[app.id].credits}</td>
                          </tr>
                        </tbody>
                      </table>
                    )}
                  </div>
                  {app.is_owner && (
                    <div className="row gap">
                      <select value={app.visibility} onChange={(e) => void share(app, e.target.value as AppVisibility)} aria-label={`Who may use ${app.name}`}>
                        {VISIBILITIES.map((v) => (
                          <option key={v.id} value={v.id}>
                            {v.label}
                          </option>
                        ))}
                      </select>
                      <button className="btn btn-ghost" onClick={() => void remove(app)} aria-label={`Delete ${app.name}`}>
                        Delete
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
        </AsyncState>
      </main>
    </div>
  );
}
