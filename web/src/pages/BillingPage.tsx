import { useCallback, useEffect, useState } from "react";
import { ApiError, api, errorText } from "../lib/api";
import { duration, liveElapsed, money, type Balance, type CreditPack, type GpuBillingSession, type Invoice, type Statement, type UsageHistory } from "../lib/billing";
import type { Me } from "../lib/types";
import { AppHeader } from "../components/AppHeader";
import { ErrorState, LoadingState } from "../components/ui";
import { toast } from "../components/toast";

/** Balance, the live GPU session, usage, invoices and statements, and credit top-ups. */
export function BillingPage({ me }: { me: Me }) {
  const [balance, setBalance] = useState<Balance | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.balance().then(setBalance, (e) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  return (
    <div className="page">
      <AppHeader me={me} />
      <main className="page-body billing-page">
        <h1>Billing</h1>
        {error ? (
          <ErrorState message={error} onRetry={load} />
        ) : !balance ? (
          <LoadingState label="Loading balance…" />
        ) : (
          <section className="card balance-card" aria-label="Balance">
            <div className="balance-figures">
              <Figure label="Available" value={balance.available} />
              <Figure label="Reserved" value={balance.reserved} hint="held for work in progress" />
              <Figure label="Total" value={balance.total} />
            </div>
            {balance.billing === "off" && <p className="muted">Billing is off on this studio: nothing is charged.</p>}
          </section>
        )}
        <GpuSessionCard onChanged={load} />
        <TopUpCard />
        <UsageCard />
        <DocumentsCard />
      </main>
    </div>
  );
}

function Figure({ label, value, hint }: { label: string; value: number; hint?: string }) {
  return (
    <div className="figure" aria-label={`${label} credits: ${value}`}>
      <span className="muted small">{label}</span>
      <strong>{value.toLocaleString()}</strong>
      {hint && <span className="muted small">{hint}</span>}
    </div>
  );
}

function GpuSessionCard({ onChanged }: { onChanged: () => void }) {
  const [session, setSession] = useState<GpuBillingSession | null>(null);
  const [fetchedAt, setFetchedAt] = useState(Date.now());
  const [now, setNow] = useState(Date.now());
  const poll = useCallback(() => {
    api.gpuBilling().then(
      (s) => {
        setSession(s);
        setFetchedAt(Date.now());
      },
      () => undefined,
    );
  }, []);
  useEffect(() => {
    poll();
    const every = setInterval(poll, 10000);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearInterval(every);
      clearInterval(tick);
    };
  }, [poll]);
  if (!session) return null;
  return (
    <section className="card" aria-label="GPU session">
      <h2>GPU session</h2>
      {session.active ? (
        <>
          <dl className="facts">
            <dt>Running for</dt>
            <dd aria-label="GPU elapsed time">{duration(liveElapsed(session, fetchedAt, now))}</dd>
            <dt>Paid time</dt>
            <dd>{duration(session.paid_seconds ?? 0)}</dd>
            <dt>Tasks served</dt>
            <dd>{session.task_count ?? 0}</dd>
            <dt>Refund if stopped now</dt>
            <dd aria-label="Estimated refund">{(session.estimated_refund ?? 0).toLocaleString()} credits</dd>
            {session.expires_at && (
              <>
                <dt>Stops when idle at</dt>
                <dd>{new Date(session.expires_at).toLocaleTimeString()}</dd>
              </>
            )}
          </dl>
          <button
            className="btn btn-danger"
            aria-label="Stop GPU and refund unused time"
            onClick={() =>
              api.gpuStop("graceful").then(
                () => {
                  toast("GPU stopping; unused time is refunded", "success");
                  poll();
                  onChanged();
                },
                (e) => toast(errorText(e), "error"),
              )
            }
          >
            Stop GPU
          </button>
        </>
      ) : (
        <p className="muted">No GPU session is running. Starting the GPU (from a GPU Control node or a GPU workflow) holds a prepaid block; unused time is refunded when it stops.</p>
      )}
    </section>
  );
}

function TopUpCard() {
  const [packs, setPacks] = useState<CreditPack[] | null>(null);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  useEffect(() => {
    api.creditPacks().then(
      (r) => {
        setPacks(r.packs);
        if (!r.top_ups_enabled) setUnavailable("payments are not configured");
      },
      (e) => setUnavailable(errorText(e)),
    );
  }, []);
  async function buy(pack: CreditPack) {
    try {
      const answer = await api.checkout(pack.id);
      window.location.assign(answer.checkout_url);
    } catch (e) {
      if (e instanceof ApiError && e.code === "BILLING_UNAVAILABLE") setUnavailable(e.message);
      else toast(errorText(e), "error");
    }
  }
  return (
    <section className="card" aria-label="Top up credits">
      <h2>Top up</h2>
      {unavailable ? (
        <div className="banner banner-conflict" role="note" aria-label="Payments not configured">
          <span>
            Card payments are not set up on this studio ({unavailable}). An administrator can configure Stripe (<code>MINIAI_STRIPE_SECRET_KEY</code>,{" "}
            <code>MINIAI_STRIPE_WEBHOOK_SECRET</code>) or grant credits with <code>miniaistudio credits grant</code>.
          </span>
        </div>
      ) : !packs ? (
        <LoadingState label="Loading credit packs…" />
      ) : (
        <div className="pack-grid">
          {packs.map((p) => (
            <button key={p.id} className="pack" onClick={() => void buy(p)} aria-label={`Buy ${p.credits} credits`}>
              <strong>{p.credits.toLocaleString()} credits</strong>
              <span className="muted small pack-id">{p.id} pack</span>
              <span>{money(p.amount, p.currency)}</span>
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

function UsageCard() {
  const [page, setPage] = useState(1);
  const [usage, setUsage] = useState<UsageHistory | null>(null);
  const checkout = new URLSearchParams(window.location.search).get("checkout");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.usageHistory(page).then(setUsage, (e) => setError(errorText(e)));
  }, [page]);
  return (
    <section className="card" aria-label="Usage history">
      <h2>Usage</h2>
      {checkout === "success" && <p className="banner banner-ok" role="status">Payment received: your credits arrive as soon as Stripe confirms it (usually seconds).</p>}
      {usage && usage.items.length > 0 && (
        <p className="muted small" aria-label="Usage totals">
          {usage.totals.credits.toLocaleString()} credits in total: {usage.totals.runs} runs ({usage.totals.run_credits.toLocaleString()}), {usage.totals.gpu_sessions} GPU sessions (
          {duration(usage.totals.gpu_seconds)}, {usage.totals.gpu_credits.toLocaleString()}, {usage.totals.gpu_refunded.toLocaleString()} refunded)
        </p>
      )}
      {error ? (
        <ErrorState message={error} />
      ) : !usage ? (
        <LoadingState label="Loading usage…" />
      ) : usage.items.length === 0 ? (
        <p className="muted">Nothing charged yet.</p>
      ) : (
        <>
          {usage.by_session.length > 0 && (
            <>
              <h3 className="section-title">Credits spent per session</h3>
              <table className="table" aria-label="Credits per session">
                <thead>
                  <tr>
                    <th>Session</th>
                    <th className="num">Runs</th>
                    <th className="num">Credits</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.by_session.map((b) => (
                    <tr key={b.session_id}>
                      <td>{b.name ?? "(deleted session)"}</td>
                      <td className="num">{b.runs}</td>
                      <td className="num">{b.credits.toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3 className="section-title">History</h3>
            </>
          )}
          <table className="table" aria-label="Usage records">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th>Status</th>
                <th className="num">Credits</th>
              </tr>
            </thead>
            <tbody>
              {usage.items.map((u) => (
                <tr key={u.id}>
                  <td>{new Date(u.at).toLocaleString()}</td>
                  <td>{u.type === "gpu" ? `GPU runtime, ${duration(u.used_seconds ?? 0)} used · ${u.task_count ?? 0} tasks` : `Run${u.model_id ? ` · ${u.model_id}` : ""}`}</td>
                  <td>
                    {u.status}
                    {u.refunded ? ` · ${u.refunded} refunded` : ""}
                  </td>
                  <td className="num">{u.credits.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row gap">
            <button className="btn" disabled={page <= 1} onClick={() => setPage((p) => p - 1)} aria-label="Newer usage">
              ← Newer
            </button>
            <button className="btn" disabled={usage.items.length < usage.page_size} onClick={() => setPage((p) => p + 1)} aria-label="Older usage">
              Older →
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function DocumentsCard() {
  const [invoices, setInvoices] = useState<Invoice[] | null>(null);
  const [statements, setStatements] = useState<Statement[] | null>(null);
  useEffect(() => {
    api.invoices().then((r) => setInvoices(r.items), () => setInvoices([]));
    api.statements().then((r) => setStatements(r.items), () => setStatements([]));
  }, []);
  return (
    <section className="card" aria-label="Invoices and statements">
      <h2>Invoices and statements</h2>
      <h3 className="section-title">Invoices</h3>
      {!invoices ? (
        <LoadingState label="Loading invoices…" />
      ) : invoices.length === 0 ? (
        <p className="muted">No top-ups yet.</p>
      ) : (
        <ul className="doc-list" aria-label="Invoices">
          {invoices.map((inv) => (
            <li key={inv.id}>
              <span className="grow">
                {inv.number} · {new Date(inv.issued_at).toLocaleDateString()} · {inv.credits.toLocaleString()} credits · {money(inv.amount, inv.currency)}
                {inv.receipt_url && (
                  <>
                    {" · "}
                    <a href={inv.receipt_url} target="_blank" rel="noreferrer noopener">
                      receipt
                    </a>
                  </>
                )}
              </span>
              <a className="btn" href={inv.pdf_url} aria-label={`Download invoice ${inv.number}`}>
                PDF
              </a>
            </li>
          ))}
        </ul>
      )}
      <h3 className="section-title">Monthly statements</h3>
      {!statements ? (
        <LoadingState label="Loading statements…" />
      ) : statements.length === 0 ? (
        <p className="muted">No usage yet.</p>
      ) : (
        <ul className="doc-list" aria-label="Statements">
          {statements.map((st) => (
            <li key={st.month}>
              <span className="grow">
                {st.month}
                {` · ${st.credits_added.toLocaleString()} added, ${st.credits_used.toLocaleString()} used, ${st.refunds.toLocaleString()} refunded`}
              </span>
              <a className="btn" href={st.pdf_url} aria-label={`Download statement ${st.month}`}>
                PDF
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
