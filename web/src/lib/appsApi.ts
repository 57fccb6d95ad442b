/** Published apps (/api/v2/apps…): publish from the canvas, list, analytics; the Magnific key and
 * webhook secret that go with them. Runs happen on the Magnific door (/v1/ai). */
import { json } from "./api";
import type { components } from "./api-types";
import type { FormField } from "./schemaForm";

type Schemas = components["schemas"];
export type AppInfo = Schemas["AppPublic"];
export type AppAnalytics = Schemas["AppAnalyticsPublic"];
export type AppPublishBody = Schemas["AppPublish"];
export type AppInputType = "creation" | "text" | "number" | "select";
export type AppVisibility = "private" | "team" | "everyone";
export const VISIBILITIES: { id: AppVisibility; label: string }[] = [
  { id: "private", label: "Private (only me)" },
  { id: "team", label: "My team (people I share sessions with)" },
  { id: "everyone", label: "Everyone on this studio" },
];

export const appsApi = {
  publish: (sessionId: string, body: AppPublishBody) =>
    json<AppInfo>(`/sessions/${encodeURIComponent(sessionId)}/publish-app`, { method: "POST", body }),
  list: () => json<{ items: AppInfo[] }>("/apps"),
  analytics: (id: string) => json<AppAnalytics>(`/apps/${encodeURIComponent(id)}/analytics`),
  update: (id: string, body: { visibility?: AppVisibility; name?: string }) =>
    json<AppInfo>(`/apps/${encodeURIComponent(id)}`, { method: "PATCH", body }),
  remove: (id: string) => json<AppInfo>(`/apps/${encodeURIComponent(id)}`, { method: "DELETE" }),
  webhookSecret: () => json<{ secret: string }>("/apps/webhook-secret"),
  createKey: (name: string) => json<{ id: string; key: string; prefix: string }>("/apps/keys", { method: "POST", body: { name } }),
};

/** Which input type a node parameter's form field can be (null: it cannot be an app input). */
export function inputTypeFor(field: FormField): AppInputType | null {
  if (field.kind === "select") return "select";
  if (field.kind === "number" || field.kind === "slider" || field.kind === "seed") return "number";
  if (field.kind === "text" || field.kind === "textarea" || field.kind === "color") return "text";
  return null;
}
