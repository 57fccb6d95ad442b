import { useEffect, useState } from "react";
import { errorText } from "../lib/api";
import {
  WEBHOOK_EVENTS,
  deliverySummary,
  stillSending,
  webhooksApi,
  type Webhook,
  type WebhookDelivery,
  type WebhookEvent,
} from "../lib/webhooksApi";
import { ModalActions } from "../components/ModalActions";
import { SecretOnce } from "../components/SecretOnce";
import { EmptyState, ErrorState, LoadingState, Modal } from "../components/ui";
import { toast } from "../components/toast";
import { useFieldErrors } from "../components/useFieldErrors";
import { CheckList } from "../components/CheckList";

/** The user's AI Visual Studio webhooks: url, events, enabled, last delivery; create (secret shown once),
 * delete, send a test event, and a delivery log per webhook with redeliver. */
export function WebhooksTab() {
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const load = () => {
    setError(null);
    webhooksApi.list().then((r) => setHooks(r.data), (e) => setError(errorText(e)));
  };
  useEffect(load, []);

  async function act(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      toast(done, "success");
      load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  if (error) return <ErrorState message={error} onRetry={load} />;
  if (!hooks) return <LoadingState label="Loading webhooks…" />;
  return (
    <section className="card" aria-label="Webhooks">
      <p className="muted">
        The AI Visual Studio API (<code>/api/v1</code>) tells these URLs when a generation completes or fails. Each request is signed:{" "}
        <code>X-Webhook-Signature: t=…,v1=…</code> (HMAC-SHA256 of <code>t.body</code> with the webhook's secret).
      </p>
      {secret && <SecretOnce secret={secret} label="webhook" onDismiss={() => setSecret(null)} />}
      <button className="btn btn-primary" onClick={() => setCreating(true)} aria-label="Create webhook">
        Create webhook
      </button>
      {hooks.length === 0 ? (
        <EmptyState title="No webhooks yet" />
      ) : (
        <ul aria-label="Your webhooks" style={{ listStyle: "none", padding: 0, display: "grid", gap: 12, marginTop: 16, width: "100%" }}>
          {hooks.map((hook) => (
            <li key={hook.id} className="card" aria-label={`Webhook ${hook.url}`}>
              <div className="row gap" style={{ justifyContent: "space-between", alignItems: "center", flexWrap: "wrap" }}>
                <code className="grow" style={{ wordBreak: "break-all" }}>{hook.url}</code>
                <button className="btn" onClick={() => act(() => webhooksApi.sendTest(hook.id), "Test event queued")} aria-label="Send test event">
                  Send test
                </button>
                <button className="btn" onClick={() => setOpen(open === hook.id ? null : hook.id)} aria-label="Delivery log" aria-expanded={open === hook.id}>
                  Deliveries
                </button>
                <button className="btn" onClick={() => setDeleting(hook)} aria-label="Delete webhook">
                  Delete
                </button>
              </div>
              <dl className="facts">
                <dt>Events</dt>
                <dd>{hook.events.join(", ")}</dd>
                <dt>Enabled</dt>
                <dd>
                  <label className="row gap">
                    <input
                      type="checkbox"
                      checked={hook.enabled}
                      aria-label="Enabled"
                      onChange={(e) => act(() => webhooksApi.setEnabled(hook.id, e.target.checked), e.target.checked ? "Webhook enabled" : "Webhook paused")}
                    />
                    {hook.enabled ? "Yes" : `No${hook.disabled_reason ? ` (${hook.disabled_reason})` : ""}`}
                  </label>
                </dd>
                {hook.description && (
                  <>
                    <dt>Description</dt>
                    <dd>{hook.description}</dd>
                  </>
                )}
                <dt>Last delivery</dt>
                <dd aria-label="Last delivery">
                  {hook.last_delivery
                    ? `${hook.last_delivery.event}: ${hook.last_delivery.status}${hook.last_delivery.status_code ? ` (HTTP ${hook.last_delivery.status_code})` : ""}`
                    : "None yet"}
                </dd>
              </dl>
              {open === hook.id && <DeliveryLog hook={hook} onChanged={load} />}
            </li>
          ))}
        </ul>
      )}
      {creating && (
        <CreateWebhookDialog
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSecret(created);
            load();
          }}
        />
      )}
      {deleting && (
        <Modal title="Delete this webhook?" onClose={() => setDeleting(null)}>
          <p>
            <code>{deleting.url}</code> gets no more events, and its delivery log is deleted.
          </p>
          <ModalActions onCancel={() => setDeleting(null)}>
            <button
              className="btn btn-primary"
              onClick={() => {
                const hook = deleting;
                setDeleting(null);
                void act(() => webhooksApi.remove(hook.id), "Webhook deleted");
              }}
              aria-label="Confirm delete webhook"
            >
              Delete
            </button>
          </ModalActions>
        </Modal>
      )}
    </section>
  );
}

/** A webhook's deliveries, newest first, polled while one is on its way; each can be sent again. */
function DeliveryLog({ hook, onChanged }: { hook: Webhook; onChanged: () => void }) {
  const [deliveries, setDeliveries] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let timer: number | undefined;
    let alive = true;
    webhooksApi.deliveries(hook.id).then(
      (r) => {
        if (!alive) return;
        setDeliveries(r.data);
        if (stillSending(r.data)) timer = window.setTimeout(() => setTick((t) => t + 1), 1000);
        else onChanged();
      },
      (e) => alive && setError(errorText(e)),
    );
    return () => {
      alive = false;
      window.clearTimeout(timer);
    };
    // onChanged refreshes the list's "last delivery"; a new function each render must not re-poll.
  }, [hook.id, tick, hook.last_delivery?.at]);

  async function redeliver(delivery: WebhookDelivery) {
    try {
      await webhooksApi.redeliver(hook.id, delivery.id);
      toast("Redelivery queued", "success");
      setTick((t) => t + 1);
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  if (error) return <ErrorState message={error} onRetry={() => setTick((t) => t + 1)} />;
  if (!deliveries) return <LoadingState label="Loading deliveries…" />;
  if (deliveries.length === 0) return <p className="muted small">No deliveries yet. Send a test event to try the webhook.</p>;
  return (
    <ol aria-label="Delivery log" style={{ listStyle: "none", padding: 0, display: "grid", gap: 8, marginTop: 12 }}>
      {deliveries.map((d) => (
        <li key={d.id} aria-label={`Delivery ${d.id}`} className="card">
          <div className="row gap" style={{ justifyContent: "space-between", alignItems: "center" }}>
            <span>
              <code>{d.event}</code> · <span aria-label="Delivery status">{deliverySummary(d)}</span>
            </span>
            <button className="btn btn-small" onClick={() => redeliver(d)} aria-label="Redeliver">
              Redeliver
            </button>
          </div>
          <ul className="muted small" aria-label="Attempts" style={{ margin: "6px 0 0", paddingLeft: 18 }}>
            {d.attempt_log.map((a) => (
              <li key={a.attempt}>
                Attempt {a.attempt}, {new Date(a.at).toLocaleString()}: {a.status_code === null ? (a.error ?? "no answer") : `HTTP ${a.status_code}`} ({a.latency_ms} ms)
              </li>
            ))}
          </ul>
          {d.status === "pending" && d.next_retry_at && (
            <p className="muted small">Next retry: {new Date(d.next_retry_at).toLocaleString()}</p>
          )}
        </li>
      ))}
    </ol>
  );
}

function CreateWebhookDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (secret: string) => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(WEBHOOK_EVENTS.map((e) => e.id));
  const [description, setDescription] = useState("");
  const { clear, fail, fieldError } = useFieldErrors();
  const [busy, setBusy] = useState(false);

  async function submit() {
    setBusy(true);
    clear();
    try {
      const created = await webhooksApi.create({ url: url.trim(), events, description });
      toast("Webhook created", "success");
      onCreated(created.secret);
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="Create webhook" onClose={onClose}>
      <label className="field">
        URL
        <input value={url} maxLength={2048} onChange={(e) => setUrl(e.target.value)} aria-label="Webhook URL" placeholder="https://your-app.com/webhooks" autoFocus />
        {fieldError("url")}
      </label>
      <CheckList legend="Events" choices={WEBHOOK_EVENTS} chosen={events} onChange={setEvents} error={fieldError("events")} />
      <label className="field">
        Description (optional)
        <input value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} aria-label="Webhook description" />
        {fieldError("description")}
      </label>
      <ModalActions onCancel={onClose}>
        <button className="btn btn-primary" disabled={busy || !url.trim() || events.length === 0} onClick={submit} aria-label="Confirm create webhook">
          Create
        </button>
      </ModalActions>
    </Modal>
  );
}
