import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { navigate } from "../lib/router";
import { limitText, type Invitation } from "../lib/sharing";
import type { Me } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { AsyncState } from "../components/AsyncState";
import { EmptyState } from "../components/ui";
import { toast } from "../components/toast";

/** Sessions other people invited you to: accept to open them, or decline. */
export function InvitationsPage({ me }: { me: Me }) {
  const [items, setItems] = useState<Invitation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.invitations().then((r) => setItems(r.items), (e) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  async function answer(inv: Invitation, what: "accept" | "decline") {
    try {
      await api.answerInvitation(inv.id, what);
      if (what === "accept") {
        toast(`You joined “${inv.session_name}” as ${inv.role}`, "success");
        navigate(`/studio/${encodeURIComponent(inv.session_id)}`);
      } else {
        toast("Invitation declined", "info");
        load();
      }
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body narrow">
        <h1>Invitations</h1>
        <p className="muted">Sessions teammates shared with you. Credits you spend in a shared session are charged to its owner.</p>
        <AsyncState items={items} error={error} onRetry={load} loading="Loading invitations…" empty={<EmptyState title="No invitations" icon="✉" />}>
          {(list) => (
            <ul className="share-list" aria-label="Invitations">
              {list.map((inv) => (
                <li key={inv.id} className="share-row" aria-label={`Invitation to ${inv.session_name}`}>
                  <div className="grow">
                    <strong>{inv.session_name}</strong> <span className="role-badge">{inv.role}</span>{" "}
                    <span className={`pill pill-${inv.status}`}>{inv.status}</span>
                    <div className="muted small">
                      From {inv.invited_by ?? inv.owner_email} · limits: {limitText(inv.monthly_credit_limit)} a month, {limitText(inv.total_credit_limit)} in total
                    </div>
                  </div>
                  {inv.status === "pending" ? (
                    <>
                      <button className="btn" onClick={() => void answer(inv, "decline")} aria-label={`Decline ${inv.session_name}`}>
                        Decline
                      </button>
                      <button className="btn btn-primary" onClick={() => void answer(inv, "accept")} aria-label={`Accept ${inv.session_name}`}>
                        Accept
                      </button>
                    </>
                  ) : inv.status === "accepted" ? (
                    <button className="btn" onClick={() => navigate(`/studio/${encodeURIComponent(inv.session_id)}`)} aria-label={`Open ${inv.session_name}`}>
                      Open
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </AsyncState>
      </main>
    </div>
  );
}
