import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { navigate } from "../lib/router";
import { abilities, roleBadge } from "../lib/roles";
import type { Me, SessionSummary } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { AsyncState } from "../components/AsyncState";
import { ModalActions } from "../components/ModalActions";
import { EmptyState, Modal } from "../components/ui";
import { toast } from "../components/toast";
import { NewSessionDialog } from "./NewSessionDialog";

function timeAgo(iso: string): string {
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function SessionsPage({ me }: { me: Me }) {
  const [q, setQ] = useState("");
  const [items, setItems] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<SessionSummary | null>(null);
  const [deleting, setDeleting] = useState<SessionSummary | null>(null);

  const load = useCallback(() => {
    setError(null);
    api.listSessions(q.trim()).then((r) => setItems(r.items), (e) => setError(errorText(e)));
  }, [q]);

  useEffect(() => {
    const t = setTimeout(load, q ? 250 : 0);
    return () => clearTimeout(t);
  }, [load, q]);

  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body">
        <div className="page-title-row">
          <div>
            <h1>Sessions</h1>
            <p className="muted">Each session keeps a workflow, its media and its run history.</p>
          </div>
          <div className="row gap">
            <input
              className="search"
              type="search"
              placeholder="Search sessions"
              aria-label="Search sessions"
              value={q}
              onChange={(e) => setQ(e.target.value)}
            />
            <button className="btn btn-primary" onClick={() => setCreating(true)} aria-label="New session">
              + New session
            </button>
          </div>
        </div>
        <AsyncState
          items={items}
          error={error}
          onRetry={load}
          loading="Loading sessions…"
          empty={
            <EmptyState title={q ? `No sessions match “${q}”` : "No sessions yet"} icon="◇">
              {!q && <p className="muted">Start from a blank canvas or a template.</p>}
              {!q && (
                <button className="btn btn-primary" onClick={() => setCreating(true)} aria-label="Create your first session">
                  Create your first session
                </button>
              )}
            </EmptyState>
          }
        >
          {(items) => (
            <ul className="session-grid" aria-label="Sessions">
              {items.map((s) => (
                <li key={s.id} className="session-card">
                  <button className="session-open" onClick={() => navigate(`/studio/${s.id}`)} aria-label={`Open session ${s.name}`}>
                    <div className="session-thumb" aria-hidden="true">
                      {Array.from({ length: Math.min(s.node_count, 6) }).map((_, i) => (
                        <span key={i} style={{ left: `${12 + (i % 3) * 28}%`, top: `${22 + Math.floor(i / 3) * 36}%` }} />
                      ))}
                    </div>
                    <strong className="session-name">
                      {s.name}
                      {roleBadge(s.role) && (
                        <span className="role-badge" aria-label={`Shared with you as ${s.role}`} title={`Shared with you: ${s.role}`}>
                          {roleBadge(s.role)}
                        </span>
                      )}
                    </strong>
                    <span className="muted small">
                      {s.node_count} node{s.node_count === 1 ? "" : "s"} · edited {timeAgo(s.updated_at)}
                    </span>
                  </button>
                  {abilities(s.role).own && (
                  <div className="session-actions">
                    <button className="icon-btn" onClick={() => setRenaming(s)} aria-label={`Rename session ${s.name}`} title="Rename">
                      ✎
                    </button>
                    <button className="icon-btn danger" onClick={() => setDeleting(s)} aria-label={`Delete session ${s.name}`} title="Delete">
                      🗑
                    </button>
                  </div>
                  )}
                </li>
              ))}
            </ul>
          )}
        </AsyncState>
      </main>
      {creating && <NewSessionDialog onClose={() => setCreating(false)} />}
      {renaming && (
        <RenameDialog
          session={renaming}
          onClose={() => setRenaming(null)}
          onDone={() => {
            setRenaming(null);
            load();
          }}
        />
      )}
      {deleting && (
        <Modal title="Delete session?" onClose={() => setDeleting(null)}>
          <p>
            “{deleting.name}” and its workflow will be deleted. Its media stay in My Gallery.
          </p>
          <ModalActions onCancel={() => setDeleting(null)}>
            <button
              className="btn btn-danger"
              aria-label="Confirm delete"
              onClick={async () => {
                try {
                  await api.deleteSession(deleting.id);
                  toast(`Deleted “${deleting.name}”`, "success");
                } catch (e) {
                  toast(errorText(e), "error");
                }
                setDeleting(null);
                load();
              }}
            >
              Delete
            </button>
          </ModalActions>
        </Modal>
      )}
    </div>
  );
}

function RenameDialog({ session, onClose, onDone }: { session: SessionSummary; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(session.name);
  return (
    <Modal title="Rename session" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api.renameSession(session.id, name.trim() || "Untitled session");
            onDone();
          } catch (err) {
            toast(errorText(err), "error");
          }
        }}
      >
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} aria-label="Session name" />
        </label>
        <ModalActions onCancel={onClose}>
          <button type="submit" className="btn btn-primary" aria-label="Save name">
            Save
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
