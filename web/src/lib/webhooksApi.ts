/** Client for AI Visual Studio's /api/v1/webhooks (the signed-in user's webhooks), and the words the
 * Webhooks tab shows for a delivery. */
import type { components } from "./api-types";
import { aivsCall } from "./keysApi";

type Schemas = components["schemas"];
export type Webhook = Schemas["AivsWebhookPublic"];
export type WebhookCreated = Schemas["AivsWebhookCreatedPublic"];
export type WebhookCreate = Schemas["AivsWebhookCreate"];
export type WebhookDelivery = Schemas["AivsWebhookDeliveryPublic"];
export type WebhookEvent = "generation.completed" | "generation.failed";
export const WEBHOOK_EVENTS: { id: WebhookEvent; label: string }[] = [
  { id: "generation.completed", label: "Generation finished successfully" },
  { id: "generation.failed", label: "Generation failed" },
];

const path = (id: string) => `/webhooks/${encodeURIComponent(id)}`;

export const webhooksApi = {
  list: () => aivsCall<Schemas["AivsWebhookListPublic"]>("/webhooks"),
  create: (body: WebhookCreate) => aivsCall<WebhookCreated>("/webhooks", "POST", body),
  setEnabled: (id: string, enabled: boolean) => aivsCall<Webhook>(path(id), "PATCH", { enabled }),
  remove: (id: string) => aivsCall<Schemas["AivsWebhookDeletedPublic"]>(path(id), "DELETE"),
  sendTest: (id: string) => aivsCall<Schemas["AivsWebhookTestPublic"]>(`${path(id)}/test`, "POST"),
  deliveries: (id: string) => aivsCall<Schemas["AivsWebhookDeliveryListPublic"]>(`${path(id)}/deliveries?limit=20`),
  redeliver: (id: string, deliveryId: string) =>
    aivsCall<WebhookDelivery>(`${path(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, "POST"),
};

/** "HTTP 200", "no answer" or "not tried yet": what the receiver last said. */
export function answerText(statusCode: number | null | undefined, attempts: number): string {
  if (attempts === 0) return "not tried yet";
  return statusCode === null || statusCode === undefined ? "no answer" : `HTTP ${statusCode}`;
}

/** One line per delivery: its status, the last answer, the attempts and the next retry when one is due. */
export function deliverySummary(
  d: Pick<WebhookDelivery, "status" | "status_code" | "attempts" | "next_retry_at">,
  now: number = Date.now(),
): string {
  const attempts = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
  const parts = [d.status, answerText(d.status_code, d.attempts), attempts];
  if (d.status === "pending" && d.next_retry_at) parts.push(`next retry ${untilText(Date.parse(d.next_retry_at) - now)}`);
  return parts.join(" · ");
}

/** "now", "in 42 s", "in 5 min", "in 3 h", "in 2 d". */
export function untilText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s <= 0) return "now";
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86400)} d`;
}

/** Whether the log should be polled again: a delivery is still on its way. */
export function stillSending(deliveries: Pick<WebhookDelivery, "status">[]): boolean {
  return deliveries.some((d) => d.status === "pending" || d.status === "sending");
}
