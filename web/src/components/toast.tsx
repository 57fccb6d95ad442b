/** Small toast notifications, callable from anywhere. */
import { useEffect, useState } from "react";

export type ToastKind = "info" | "success" | "error" | "warning";
interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  /** Toasts about one thing (a run) share a key: a newer one replaces the older. */
  key?: string;
}

type ToastMessage = { show: Toast } | { settle: { key: string; text: string; kind: ToastKind } };

let seq = 0;
const listeners = new Set<(m: ToastMessage) => void>();

export function toast(text: string, kind: ToastKind = "info", key?: string): void {
  const t = { id: ++seq, kind, text, key };
  listeners.forEach((fn) => fn({ show: t }));
}

/** The toast shown under `key` (e.g. "Running …") is replaced by its outcome; nothing is shown if there is none. */
export function settleToast(key: string, text: string, kind: ToastKind): void {
  listeners.forEach((fn) => fn({ settle: { key, text, kind } }));
}

/** The key of the toasts about the runs of one session. */
export const runToastKey = (sessionId: string) => `run:${sessionId}`;

export function ToastHost() {
  const [items, setItems] = useState<Toast[]>([]);
  useEffect(() => {
    const expire = (t: Toast) => setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), t.kind === "error" ? 7000 : 4000);
    const add = (m: ToastMessage) => {
      if ("show" in m) {
        const t = m.show;
        setItems((xs) => [...xs.filter((x) => !t.key || x.key !== t.key).slice(-3), t]);
        expire(t);
        return;
      }
      const { key, text, kind } = m.settle;
      const t = { id: ++seq, kind, text, key };
      setItems((xs) => (xs.some((x) => x.key === key) ? xs.map((x) => (x.key === key ? t : x)) : xs));
      expire(t);
    };
    listeners.add(add);
    return () => {
      listeners.delete(add);
    };
  }, []);
  return (
    <div className="toasts" aria-live="polite">
      {items.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
