import type { ReactNode } from "react";
import { navigate } from "../lib/router";
import type { Me } from "../lib/types";
import { Logo } from "./ui";

const LINKS = [
  { path: "/", label: "Sessions" },
  { path: "/gallery", label: "My Gallery" },
  { path: "/apps", label: "Apps" },
  { path: "/models", label: "Models" },
  { path: "/invitations", label: "Invitations" },
  { path: "/billing", label: "Billing" },
  { path: "/profile/api-key", label: "Profile" },
];

export function AppHeader({ me, children }: { me: Me; children?: ReactNode }) {
  const here = window.location.pathname;
  return (
    <header className="app-header">
      <Logo />
      <nav aria-label="Main">
        {LINKS.map((l) => {
          const active = l.path === "/" ? here === "/" : here.startsWith(l.path.split("/").slice(0, 2).join("/"));
          return (
            <a
              key={l.path}
              href={l.path}
              className={active ? "active" : ""}
              aria-current={active ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(l.path);
              }}
            >
              {l.label}
            </a>
          );
        })}
      </nav>
      <div className="spacer" />
      {children}
      <span className="user-chip" title={me.email} aria-label={`Signed in as ${me.email}`}>
        {me.email.slice(0, 1).toUpperCase()}
      </span>
    </header>
  );
}
