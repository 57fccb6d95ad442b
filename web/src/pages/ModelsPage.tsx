import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { byteSize, kindLabel } from "../lib/modelKinds";
import type { ImportCandidate, InstalledModel, Me } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { AsyncState } from "../components/AsyncState";
import { EmptyState } from "../components/ui";
import { toast } from "../components/toast";

/** The server's import folders, for admins: import what they hold with a name and a price. */
function ImportFolder({ onImported }: { onImported: () => void }) {
  const [found, setFound] = useState<{ folders: string[]; candidates: ImportCandidate[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [credits, setCredits] = useState<Record<string, number>>({});
  const load = useCallback(() => {
    setError(null);
    api.importableModels().then(setFound, (e) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function importOne(c: ImportCandidate) {
    setBusy(c.path);
    try {
      const m = await api.importModel({ path: c.path, credits_per_generation: credits[c.path] ?? 0 });
      toast(`Imported ${m.display_name} (${kindLabel(m.kind)})`, "success");
      onImported();
      load();
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card-section" aria-label="Import folder">
      <div className="row gap">
        <h2>Import from the server</h2>
        <button className="link-btn small" onClick={load} aria-label="Look in the import folders again">
          ↻ Look again
        </button>
      </div>
      <p className="muted small">
        Put a model folder or file in {found ? found.folders.map((f) => <code key={f} className="mono">{f}</code>) : "the import folder"} on the server, then import it here.
      </p>
      <AsyncState items={found?.candidates ?? null} error={error} onRetry={load} loading="Looking…" empty={<EmptyState title="The import folder is empty" icon="⇣" />}>
        {(list) => (
          <table className="table" aria-label="Importable models">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th className="num">Size</th>
                <th className="num">Credits a run</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.path} aria-label={`Importable ${c.name}`}>
                  <td>{c.name}</td>
                  <td>{c.kind ? `${kindLabel(c.kind)} · ${c.format}` : <span className="muted small">{c.problem}</span>}</td>
                  <td className="num">{byteSize(c.size_bytes)}</td>
                  <td className="num">
                    <input
                      type="number"
                      min={0}
                      className="credits-input"
                      value={credits[c.path] ?? 0}
                      disabled={!c.kind}
                      onChange={(e) => setCredits((s) => ({ ...s, [c.path]: Math.max(0, Number(e.target.value) || 0) }))}
                      aria-label={`Credits a run for ${c.name}`}
                    />
                  </td>
                  <td>
                    <button className="btn btn-small" disabled={!c.kind || busy !== null} onClick={() => void importOne(c)} aria-label={`Import ${c.name}`}>
                      {busy === c.path ? "Importing…" : "Import"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncState>
    </section>
  );
}

/** What models are installed (kind, size, credits); admins import from the server's folder and remove. */
export function ModelsPage({ me }: { me: Me }) {
  const [models, setModels] = useState<InstalledModel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.models().then((r) => setModels(r.models), (e) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function remove(m: InstalledModel) {
    try {
      await api.removeModel(m.id);
      toast(`Removed ${m.display_name}`, "success");
      setConfirm(null);
      load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body">
        <h1>Models</h1>
        <p className="muted">The models this studio has installed. Nodes that need a kind of model no one has installed say so in the palette.</p>
        <AsyncState items={models} error={error} onRetry={load} loading="Loading models…" empty={<EmptyState title="No models installed yet" icon="◇" />}>
          {(list) => (
            <table className="table" aria-label="Installed models">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Kind</th>
                  <th>Format</th>
                  <th className="num">Size</th>
                  <th className="num">Credits a run</th>
                  {me.is_admin && <th />}
                </tr>
              </thead>
              <tbody>
                {list.map((m) => (
                  <tr key={m.id} aria-label={`Model ${m.display_name}`}>
                    <td>
                      {m.display_name} {m.display_name !== m.id && <code className="mono small muted">{m.id}</code>}
                      {!m.installed && <span className="pill">files missing</span>}
                    </td>
                    <td>{kindLabel(m.kind)}</td>
                    <td>{m.format}</td>
                    <td className="num">{byteSize(m.size_bytes)}</td>
                    <td className="num">{m.credits_per_generation ?? 0}</td>
                    {me.is_admin && (
                      <td>
                        {confirm === m.id ? (
                          <span className="row gap-sm">
                            <button className="btn btn-small btn-danger" onClick={() => void remove(m)} aria-label={`Confirm removing ${m.display_name}`}>
                              Remove files
                            </button>
                            <button className="btn btn-small" onClick={() => setConfirm(null)} aria-label="Keep it">
                              Keep
                            </button>
                          </span>
                        ) : (
                          <button className="btn btn-small" onClick={() => setConfirm(m.id)} aria-label={`Remove ${m.display_name}`}>
                            Remove
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </AsyncState>
        {me.is_admin ? <ImportFolder onImported={load} /> : <p className="muted small">Only admins install or remove models.</p>}
      </main>
    </div>
  );
}
