/** Sessions shared with a team: the wire shapes of /api/v2/session/{id}/share(s) and /api/v2/invitations. */
import type { SessionRole } from "./roles";

export type ShareRole = Exclude<SessionRole, "owner">;

export interface ShareRequest {
  email: string;
  role: ShareRole;
  monthly_credit_limit: number | null;
  total_credit_limit: number | null;
}

export interface Share {
  id: string;
  session_id: string;
  email: string;
  role: ShareRole;
  status: "pending" | "accepted" | "declined";
  monthly_credit_limit: number | null;
  total_credit_limit: number | null;
  credits_used_this_month: number;
  credits_used_total: number;
  created_at: string;
  accepted_at?: string | null;
}

export interface Invitation {
  id: string;
  session_id: string;
  session_name: string;
  role: ShareRole;
  status: "pending" | "accepted" | "declined";
  invited_by_email?: string | null;
  monthly_credit_limit: number | null;
  total_credit_limit: number | null;
  created_at: string;
}

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
