/** Sessions shared with a team: the wire shapes of /api/v2/session/{id}/share(s) and /api/v2/invitations. */
import type { components } from "./api-types";

type Schemas = components["schemas"];

export type ShareRole = Schemas["ShareRole"];
export type ShareRequest = Schemas["ShareInvite"];
export type ShareChange = Schemas["ShareUpdate"];
export type Share = Schemas["SharePublic"];
export type Invitation = Schemas["InvitationPublic"];

/** "" → no limit; otherwise a whole number of credits ≥ 0, or an error message. */
export function parseLimit(text: string): { value: number | null } | { error: string } {
  const t = text.trim();
  if (!t) return { value: null };
  if (!/^\d+$/.test(t)) return { error: "Use a whole number of credits, or leave it empty for no limit." };
  const n = Number(t);
  if (!Number.isSafeInteger(n)) return { error: "That limit is too large." };
  return { value: n };
}

export function limitText(limit: number | null | undefined): string {
  return limit === null || limit === undefined ? "no limit" : `${limit.toLocaleString()} credits`;
}
