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
  | { name: "profile"; tab: string };

export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "login") return { name: "login" };
  if (parts[0] === "studio" && parts[1]) return { name: "studio", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "gallery") return { name: "gallery" };
  if (parts[0] === "billing") return { name: "billing" };
  if (parts[0] === "invitations") return { name: "invitations" };
  if (parts[0] === "apps") return { name: "apps" };
  if (parts[0] === "profile") return { name: "profile", tab: parts[1] ?? "api-key" };
  return { name: "sessions" };
}

export function navigate(path: string, replace = false): void {
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
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
