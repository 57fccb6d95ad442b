/** Client for the API keys of every door, managed through AI Visual Studio's /api/v1/keys (signed-in
 * session only). Errors come in that door's envelope {"error": {code, message, details}}. */
import { ApiError } from "./api";
import type { components } from "./api-types";

type Schemas = components["schemas"];
export type ApiKeyInfo = Schemas["AivsKeyPublic"];
export type ApiKeyCreated = Schemas["AivsKeyCreatedPublic"];
export type ApiKeyCreate = Schemas["AivsKeyCreate"];
export type KeyScope = "read" | "generate:image" | "generate:video" | "webhooks";
export const KEY_SCOPES: { id: KeyScope; label: string }[] = [
  { id: "read", label: "Read generations, models and account" },
  { id: "generate:image", label: "Create image generations" },
  { id: "generate:video", label: "Create video generations" },
  { id: "webhooks", label: "Manage webhooks" },
];

type Envelope = { error?: { code?: string; message?: string; details?: { fields?: Record<string, string> } } };

/** A call to AI Visual Studio's /api/v1 as the signed-in user; errors as ApiError with that door's code. */
export async function aivsCall<T>(path: string, method = "GET", body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK_ERROR", "The studio server could not be reached. Check that it is running.");
  }
  if (!res.ok) {
    let data: Envelope = {};
    try {
      data = (await res.json()) as Envelope;
    } catch {
      /* not JSON */
    }
    const error = data.error ?? {};
    throw new ApiError(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? res.statusText, error.details);
  }
  return (await res.json()) as T;
}

/** The failing fields of an invalid_request, for showing next to the form inputs. */
export function failingFields(e: unknown): Record<string, string> {
  if (e instanceof ApiError && e.code === "invalid_request") {
    const details = e.details as { fields?: Record<string, string> } | undefined;
    return details?.fields ?? {};
  }
  return {};
}

/** Which API a new key is for: each door issues its own kind (avs_live_..., mfl_live_...). */
export type KeyApi = "aivs" | "miraflow";
export const KEY_APIS: { id: KeyApi; label: string }[] = [
  { id: "aivs", label: "AI Visual Studio (avs_live_…, /api/v1)" },
  { id: "miraflow", label: "Miraflow (mfl_live_…, x-api-key on /api)" },
];

type MiraflowEnvelope = { code?: string; message?: string; details?: { errors?: { field?: string; message?: string }[] } };

/** Miraflow's POST /api/keys; its {"result": "failure", code, message, details} errors as AIVS-style ApiErrors. */
async function createMiraflowKey(body: ApiKeyCreate): Promise<ApiKeyCreated> {
  let res: Response;
  try {
    res = await fetch("/api/keys", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK_ERROR", "The studio server could not be reached. Check that it is running.");
  }
  if (!res.ok) {
    let data: MiraflowEnvelope = {};
    try {
      data = (await res.json()) as MiraflowEnvelope;
    } catch {
      /* not JSON */
    }
    const fields: Record<string, string> = {};
    for (const error of data.details?.errors ?? []) {
      const field = (error.field ?? "").replace(/^body\./, "").split(".")[0];
      if (field && !(field in fields)) fields[field] = error.message ?? "";
    }
    const invalid = data.code === "INVALID_REQUEST" || Object.keys(fields).length > 0;
    throw new ApiError(res.status, invalid ? "invalid_request" : (data.code ?? `HTTP_${res.status}`),
      data.message ?? res.statusText, invalid ? { fields } : data.details);
  }
  return (await res.json()) as ApiKeyCreated;
}

export const keysApi = {
  list: () => aivsCall<{ data: ApiKeyInfo[]; total: number }>("/keys"),
  create: (body: ApiKeyCreate, api: KeyApi = "aivs") =>
    api === "miraflow" ? createMiraflowKey(body) : aivsCall<ApiKeyCreated>("/keys", "POST", body),
  revoke: (id: string) => aivsCall<ApiKeyInfo>(`/keys/${encodeURIComponent(id)}`, "DELETE"),
};
