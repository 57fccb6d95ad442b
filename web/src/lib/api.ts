/** Thin client for /api/v2 with cookie auth (same origin) and stable error codes. */
import type { components } from "./api-types";
import type { RecipeDetail, RecipeSummary } from "./recipeForm";
import type { SavedOutputsDoc } from "./savedOutputs";
import type { Balance, CheckoutAnswer, CreditPacks, GpuBillingSession, Invoice, Statement, UsageHistory } from "./billing";
import type { Invitation, Share, ShareChange, ShareRequest } from "./sharing";
import type {
  ApiErrorBody,
  ApiKeyStatus,
  Graph,
  ImportCandidate,
  InstalledModel,
  MediaGroup,
  MediaItem,
  ContentCredentials,
  Me,
  NodeSpec,
  SessionDoc,
  SessionSummary,
  Viewport,
} from "./types";

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
  }
}

/** This tab's id: sent with each save, so the session.saved event it causes can be told from other tabs' saves. */
export const CLIENT_ID: string =
  typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `tab-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;

type Options = { method?: string; body?: unknown; sessionId?: string; raw?: BodyInit; headers?: Record<string, string> };

let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function request(path: string, opts: Options = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  if (opts.sessionId) headers["X-Session-ID"] = opts.sessionId;
  let res: Response;
  try {
    res = await fetch(`/api/v2${path}`, { method: opts.method ?? "GET", headers, body, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "NETWORK_ERROR", "The studio server could not be reached. Check that it is running.");
  }
  if (!res.ok) {
    let err: ApiErrorBody = { code: `HTTP_${res.status}`, message: res.statusText || "Request failed" };
    try {
      const data = (await res.json()) as Partial<ApiErrorBody> & { detail?: unknown };
      if (data.code) err = { code: data.code, message: data.message ?? err.message, details: data.details };
      else if (data.detail) err.message = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    } catch {
      /* not JSON */
    }
    if (res.status === 401 && path !== "/auth/login" && onUnauthorized) onUnauthorized();
    throw new ApiError(res.status, err.code, err.message, err.details);
  }
  return res;
}

export async function json<T>(path: string, opts: Options = {}): Promise<T> {
  const res = await request(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  login: (email: string, password: string) => json<{ token: string }>("/auth/login", { method: "POST", body: { email, password } }),
  logout: () => json<{ ok: boolean }>("/auth/logout", { method: "POST" }),
  me: () => json<Me>("/auth/me"),

  catalog: () => json<{ nodes: NodeSpec[]; socket_types: string[] }>("/nodes"),
  recipes: () => json<{ recipes: RecipeSummary[] }>("/recipes"),
  recipe: (id: string) => json<RecipeDetail>(`/recipes/${encodeURIComponent(id)}`),
  runRecipe: (id: string, body: { session_name: string; execute: boolean; inputs: Record<string, unknown> }) =>
    json<{ session_id: string }>(`/recipes/${encodeURIComponent(id)}/run`, { method: "POST", body }),
  publishRecipe: (sessionId: string, body: PublishRecipeBody) =>
    json<RecipeSummary>(`/sessions/${sessionId}/publish-recipe`, { method: "POST", body }),

  gpuStatus: () => json<GpuStatus>("/gpu/status"),
  gpuStart: () => json<GpuStatus>("/gpu/start", { method: "POST" }),
  gpuStop: (mode: "graceful" | "immediate" = "graceful") => json<GpuStatus>("/gpu/stop", { method: "POST", body: { mode } }),

  listSessions: (q: string) =>
    json<{ items: SessionSummary[]; total: number }>(`/sessions?limit=200${q ? `&q=${encodeURIComponent(q)}` : ""}`),
  createSession: (name: string, graph?: Graph) => json<SessionDoc>("/sessions", { method: "POST", body: { name, graph } }),
  getSession: (id: string) => json<SessionDoc>(`/sessions/${id}`),
  renameSession: (id: string, name: string) => json<SessionDoc>(`/sessions/${id}`, { method: "PATCH", body: { name } }),
  deleteSession: (id: string) => json<void>(`/sessions/${id}`, { method: "DELETE" }),
  putFlow: (id: string, body: { graph: Graph; version: number; viewport?: Viewport; tabs?: unknown[] }) =>
    json<SessionDoc>(`/sessions/${id}/flow`, { method: "PUT", body, headers: { "X-Client-ID": CLIENT_ID } }),

  /** `skipIncomplete`: nodes missing a required input (and the nodes after them) are skipped instead of refusing the run. */
  execute: (sessionId: string, mode: "full" | "from_node" = "full", target?: string, skipIncomplete = false) =>
    json<RunInfo>("/session/execute", {
      method: "POST",
      sessionId,
      body: { mode, target_node_id: target, ...(skipIncomplete ? { skip_incomplete: true } : {}) },
    }),
  /** Runs waiting their turn in the session (a run asked for while another runs waits here). */
  queue: (sessionId: string) => json<components["schemas"]["RunQueuePublic"]>("/session/queue", { sessionId }),
  cancelQueued: (sessionId: string, runId: string) =>
    json<components["schemas"]["QueueCancelPublic"]>(`/session/queue/${encodeURIComponent(runId)}`, { method: "DELETE", sessionId }),
  /** Past runs, newest first: who, mode, duration, status, node counts, credits. */
  history: (sessionId: string, limit = 50) =>
    json<components["schemas"]["RunHistoryPublic"]>(`/session/executions?limit=${limit}`, { sessionId }),
  run: (sessionId: string, runId: string) =>
    json<components["schemas"]["RunPublic"]>(`/session/runs/${encodeURIComponent(runId)}`, { sessionId }),
  rerun: (sessionId: string, nodeId: string) =>
    json<RunInfo>(`/session/nodes/${encodeURIComponent(nodeId)}/rerun?isolated=true`, { method: "POST", sessionId }),
  cancelNode: (sessionId: string, nodeId: string) =>
    json<unknown>(`/session/nodes/${encodeURIComponent(nodeId)}/cancel`, { method: "POST", sessionId }),
  execution: (sessionId: string) => json<{ run: unknown }>("/session/execution", { sessionId }),
  /** Each node's stored outputs that still match its current settings and inputs. */
  savedOutputs: (sessionId: string) => json<SavedOutputsDoc>("/session/outputs", { sessionId }),
  stop: (sessionId: string) => json<unknown>("/session/stop", { method: "POST", sessionId }),

  /** The file's C2PA Content Credentials and whether they verify. */
  mediaCredentials: (id: string) => json<ContentCredentials>(`/media/${encodeURIComponent(id)}/credentials`),
  mediaRecord: (id: string) => json<MediaItem & { metadata?: Record<string, unknown> }>(`/media/${encodeURIComponent(id)}`),
  media: (mediaType?: string, dates: { from?: string; to?: string } = {}) => {
    const q = new URLSearchParams({ page_size: "500" });
    if (mediaType) q.set("media_type", mediaType);
    if (dates.from) q.set("date_from", dates.from);
    if (dates.to) q.set("date_to", dates.to);
    return json<{ groups: MediaGroup[]; total: number }>(`/media?${q}`);
  },
  upload: async (sessionId: string, nodeId: string, kind: string | null, files: File[]) => {
    const form = new FormData();
    for (const f of files) form.append("file", f, f.name);
    const q = new URLSearchParams({ session_id: sessionId, node_id: nodeId });
    if (kind) q.set("kind", kind);
    const data = await json<{ items: MediaItem[] }>(`/media/upload?${q}`, { method: "POST", raw: form });
    return data.items;
  },
  models: () => json<{ models: InstalledModel[]; kinds: string[] }>("/models"),
  importableModels: () => json<{ folders: string[]; candidates: ImportCandidate[] }>("/models/importable"),
  importModel: (body: { path: string; name?: string; credits_per_generation?: number }) =>
    json<InstalledModel>("/models/import", { method: "POST", body }),
  removeModel: (id: string) => json<{ removed: InstalledModel }>(`/models/${encodeURIComponent(id)}`, { method: "DELETE" }),
  deleteMedia: (id: string) => json<{ removed: MediaItem }>(`/media/${encodeURIComponent(id)}`, { method: "DELETE" }),
  /** Uploads into the gallery without a session (a recipe form's media input); `kind` refuses other kinds. */
  uploadToGallery: async (files: File[], kind: string | null) => {
    const form = new FormData();
    for (const f of files) form.append("file", f, f.name);
    const q = kind ? `?kind=${encodeURIComponent(kind)}` : "";
    const data = await json<{ items: MediaItem[] }>(`/media/upload${q}`, { method: "POST", raw: form });
    return data.items;
  },
  downloadZip: async (ids: string[]) => {
    const res = await request("/media/download-zip", { method: "POST", body: { ids } });
    return res.blob();
  },

  shares: (sessionId: string) => json<{ items: Share[] }>(`/session/${encodeURIComponent(sessionId)}/shares`),
  share: (sessionId: string, body: ShareRequest) =>
    json<Share>(`/session/${encodeURIComponent(sessionId)}/share`, { method: "POST", body }),
  updateShare: (shareId: string, body: ShareChange) =>
    json<Share>(`/session/share/${encodeURIComponent(shareId)}`, { method: "PATCH", body }),
  revokeShare: (shareId: string) => json<unknown>(`/session/share/${encodeURIComponent(shareId)}`, { method: "DELETE" }),
  invitations: () => json<{ items: Invitation[] }>("/invitations"),
  answerInvitation: (shareId: string, answer: "accept" | "decline") =>
    json<Invitation>(`/invitations/${encodeURIComponent(shareId)}/${answer}`, { method: "POST" }),

  balance: () => json<Balance>("/billing/balance"),
  gpuBilling: () => json<GpuBillingSession>("/billing/gpu-active"),
  usageHistory: (page = 1) => json<UsageHistory>(`/billing/usage-history?page=${page}&page_size=20`),
  creditPacks: () => json<CreditPacks>("/billing/packs"),
  checkout: (packId: string) => json<CheckoutAnswer>("/billing/payment-intent", { method: "POST", body: { pack_id: packId } }),
  invoices: () => json<{ items: Invoice[] }>("/billing/invoices"),
  statements: () => json<{ items: Statement[] }>("/billing/statements"),

  voices: () => json<components["schemas"]["VoicesPublic"]>("/voices"),
  apiKey: () => json<ApiKeyStatus>("/account/api-key"),
  setApiKey: (enabled: boolean) => json<ApiKeyStatus>("/account/api-key", { method: "PUT", body: { enabled } }),
  regenerateApiKey: () => json<ApiKeyStatus>("/account/api-key/regenerate", { method: "POST" }),
};

export interface RunInfo {
  run_id: string;
  status: string;
}

export interface PublishRecipeBody {
  id: string;
  name: string;
  description: string;
  inputs: { name: string; node_id: string; field?: string; media?: string; required: boolean }[];
}

export interface GpuStatus {
  state: "stopped" | "starting" | "ready" | "stopping" | string;
  ready: boolean;
  accepting_tasks: boolean;
  device: string | null;
  device_name?: string | null;
  memory?: { total_bytes: number | null; models_bytes: number | null };
  running_tasks?: number;
}

export function downloadUrl(mediaId: string, inline = true): string {
  return `/api/v2/media/${encodeURIComponent(mediaId)}/download${inline ? "" : "?inline=false"}`;
}

/** A short sample of a text-to-speech voice (synthesised by the server once, then cached). */
export function voiceSampleUrl(voiceId: string): string {
  return `/api/v2/voices/sample?voice=${encodeURIComponent(voiceId)}`;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}
