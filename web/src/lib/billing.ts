/** Credits and payments: the wire shapes of /api/v2/billing/* (generated), and the arithmetic the billing page shows. */
import type { components } from "./api-types";

type Schemas = components["schemas"];

export type Balance = Schemas["BalancePublic"];
export type GpuBillingSession = Schemas["GpuActivePublic"];
export type UsageRecord = Schemas["UsageRecordPublic"];
export type UsageHistory = Schemas["UsageHistoryPublic"];
export type CreditPack = Schemas["CreditPackPublic"];
export type CreditPacks = Schemas["CreditPacksPublic"];
export type CheckoutAnswer = Schemas["CheckoutPublic"];
export type Invoice = Schemas["InvoicePublic"];
export type Statement = Schemas["StatementPublic"];

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
