import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, errorText } from "../lib/api";
import { SHARE_ROLES } from "../lib/roles";
import { limitText, parseLimit, type Share, type ShareRole } from "../lib/sharing";
import { AsyncState } from "../components/AsyncState";
import { ModalActions } from "../components/ModalActions";
import { EmptyState, Modal } from "../components/ui";
import { toast } from "../components/toast";

/** The owner's sharing dialog: invite by e-mail with a role and credit limits, then manage who has access. */
export function ShareDialog({ sessionId, sessionName, onClose }: { sessionId: string; sessionName: string; onClose: () => void }) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.shares(sessionId).then((r) => setShares(r.items), (e) => setError(errorText(e)));
  }, [sessionId]);
  useEffect(load, [load]);

  return (
    <Modal title={`Share “${sessionName}”`} onClose={onClose} wide>
      <InviteForm sessionId={sessionId} onInvited={load} />
      <h3 className="section-title">People with access</h3>
      <AsyncState
        items={shares}
        error={error}
        onRetry={load}
        loading="Loading collaborators…"
        empty={<EmptyState title="Only you have access" icon="◇"><p className="muted">Invite someone above.</p></EmptyState>}
      >
        {(items) => (
          <ul className="share-list" aria-label="Collaborators">
            {items.map((s) => (
              <ShareRow key={s.id} share={s} onChanged={load} />
            ))}
          </ul>
        )}
      </AsyncState>
      <ModalActions onCancel={onClose}>
        <button className="btn btn-primary" onClick={onClose} aria-label="Done">
          Done
        </button>
      </ModalActions>
    </Modal>
  );
}

function InviteForm({ sessionId, onInvited }: { sessionId: string; onInvited: () => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<ShareRole>("viewer");
  const [monthly, setMonthly] = useState("");
  const [total, setTotal] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const m = parseLimit(monthly);
    const t = parseLimit(total);
    if ("error" in m || "error" in t) {
      setProblem("error" in m ? `Monthly limit: ${m.error}` : `Total limit: ${(t as { error: string }).error}`);
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const share = await api.share(sessionId, { email: email.trim(), role, monthly_credit_limit: m.value, total_credit_limit: t.value });
      toast(share.status === "accepted" ? `${share.email} now has ${share.role} access` : `Invitation sent to ${share.email}`, "success");
      setEmail("");
      onInvited();
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="share-form" onSubmit={submit} aria-label="Invite a collaborator">
      <div className="row gap">
        <input type="email" required placeholder="name@example.com" aria-label="Collaborator e-mail" value={email} onChange={(e) => setEmail(e.target.value)} maxLength={320} className="grow" />
        <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as ShareRole)}>
          {SHARE_ROLES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <p className="muted small">{SHARE_ROLES.find((r) => r.id === role)?.label}: {SHARE_ROLES.find((r) => r.id === role)?.help}. Credits they spend are charged to you.</p>
      <div className="row gap">
        <label className="grow">
          Monthly credit limit
          <input inputMode="numeric" placeholder="no limit" aria-label="Monthly credit limit" value={monthly} onChange={(e) => setMonthly(e.target.value)} />
        </label>
        <label className="grow">
          Total credit limit
          <input inputMode="numeric" placeholder="no limit" aria-label="Total credit limit" value={total} onChange={(e) => setTotal(e.target.value)} />
        </label>
        <button className="btn btn-primary" type="submit" disabled={busy || !email.trim()} aria-label="Send invitation">
          {busy ? "Inviting…" : "Invite"}
        </button>
      </div>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function ShareRow({ share, onChanged }: { share: Share; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  async function act(what: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await what();
      toast(done, "success");
      onChanged();
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setBusy(false);
    }
  }
  return (
    <li className="share-row" aria-label={`Collaborator ${share.email}`}>
      <div className="grow">
        <strong>{share.email}</strong>{" "}
        <span className={`pill pill-${share.status}`} aria-label={`Status: ${share.status}`}>
          {share.status}
        </span>
        <div className="muted small">
          Limits: {limitText(share.monthly_credit_limit)} a month, {limitText(share.total_credit_limit)} in total · used {share.credits_used_this_month} this month,{" "}
          {share.credits_used_total} in total
        </div>
      </div>
      <select
        aria-label={`Role of ${share.email}`}
        value={share.role}
        disabled={busy}
        onChange={(e) => void act(() => api.updateShare(share.id, { role: e.target.value as ShareRole }), `${share.email} is now ${e.target.value}`)}
      >
        {SHARE_ROLES.map((r) => (
          <option key={r.id} value={r.id}>
            {r.label}
          </option>
        ))}
      </select>
      <button className="btn btn-danger" disabled={busy} aria-label={`Revoke access of ${share.email}`} onClick={() => void act(() => api.revokeShare(share.id), `Access of ${share.email} revoked`)}>
        Revoke
      </button>
    </li>
  );
}
