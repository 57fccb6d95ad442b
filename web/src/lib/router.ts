/** A tiny pushState router: the server answers every non-API path with index.html. */
import { useEffect, useState } from "react";

export type Route =
  | { name: "login" }
  | { name: "sessions" }
  | { name: "studio"; id: string }
  | { name: "gallery" }
  | { name: "billing" }
  | { name: "invitations" }
  | { name: "apps" }
  | { name: "models" }
  | { name: "profile"; tab: string };

export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "login") return { name: "login" };
  if (parts[0] === "studio" && parts[1]) return { name: "studio", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "gallery") return { name: "gallery" };
  if (parts[0] === "billing") return { name: "billing" };
  if (parts[0] === "invitations") return { name: "invitations" };
  if (parts[0] === "apps") return { name: "apps" };
  if (parts[0] === "models") return { name: "models" };
  if (parts[0] === "profile") return { name: "profile", tab: parts[1] ?? "api-key" };
  return { name: "sessions" };
}

/** Says why leaving the page now loses something (a secret shown once and never copied), or null. */
export type LeaveGuard = () => string | null;
const leaveGuards = new Set<LeaveGuard>();

/** Ask before the page is left, in the app (links, tabs, the back button) and by reload or closing the tab. Returns the remover. */
export function addLeaveGuard(guard: LeaveGuard): () => void {
  leaveGuards.add(guard);
  return () => leaveGuards.delete(guard);
}

/** Whether the user lets the page go: true when no guard objects or they confirm each warning. */
export function mayLeave(): boolean {
  for (const guard of leaveGuards) {
    const why = guard();
    if (why && !window.confirm(why)) return false;
  }
  return true;
}

const here = () => window.location.pathname + window.location.search;
let shownPath = typeof window === "undefined" ? "/" : here();
let navigating = false;

if (typeof window !== "undefined") {
  // The back and forward buttons: registered first, so a refused leave stops the routes from seeing the change.
  window.addEventListener("popstate", (e) => {
    if (navigating || here() === shownPath) return;
    if (!mayLeave()) {
      e.stopImmediatePropagation();
      window.history.pushState(null, "", shownPath);
      return;
    }
    shownPath = here();
  });
  window.addEventListener("beforeunload", (e) => {
    if ([...leaveGuards].some((guard) => guard() !== null)) e.preventDefault();
  });
}

export function navigate(path: string, replace = false): void {
  if (path !== here() && !mayLeave()) return;
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  shownPath = here();
  navigating = true;
  try {
    window.dispatchEvent(new PopStateEvent("popstate"));
  } finally {
    navigating = false;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", on);
    return () => window.removeEventListener("popstate", on);
  }, []);
  return route;
}
