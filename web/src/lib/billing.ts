/** Credits and payments: the wire shapes of /api/v2/billing/*, and the arithmetic the billing page shows. */

export interface Balance {
  available: number;
  reserved: number;
  total: number;
  billing?: "credits" | "off" | string;
}

export interface GpuBillingSession {
  active: boolean;
  started_at: string | null;
  elapsed_seconds: number | null;
  paid_seconds: number | null;
  task_count: number | null;
  expires_at: string | null;
  estimated_refund: number | null;
  price_per_minute?: number | null;
  held?: number | null;
}

export interface UsageRecord {
  id: string;
  kind: string;
  created_at: string;
  credits: number;
  [key: string]: unknown;
}

export interface UsageHistory {
  items: UsageRecord[];
  page: number;
  page_size: number;
  total_items?: number;
  totals?: Record<string, number>;
}

export interface CreditPack {
  id: string;
  credits: number;
  unit_amount: number;
  currency: string;
  name?: string;
}

export interface CheckoutAnswer {
  checkout_url: string;
  checkout_session_id: string;
}

export interface Invoice {
  id: string;
  number: string;
  created_at?: string;
  issued_at?: string;
  credits: number;
  amount: number;
  currency: string;
}

export interface Statement {
  month: string;
  credits_used?: number;
  [key: string]: unknown;
}

/** Money from minor units ("1000", "usd" → "$10.00"). */
export function money(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** "1 h 02 min 05 s" style durations for the live GPU session. */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h} h ${pad(m)} min ${pad(sec)} s` : m ? `${m} min ${pad(sec)} s` : `${sec} s`;
}

/** Seconds since the session started, counted on this page between polls of the server. */
export function liveElapsed(session: GpuBillingSession, fetchedAt: number, now: number): number {
  return (session.elapsed_seconds ?? 0) + Math.max(0, (now - fetchedAt) / 1000);
}
