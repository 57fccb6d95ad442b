/** What the signed-in user may do in a session, from their role there (the server decides; this only
 * shapes the page so nobody is offered a button that would be refused). Mirrors core/policy.py. */
export type SessionRole = "viewer" | "runner" | "editor" | "owner";

const RANK: Record<SessionRole, number> = { viewer: 1, runner: 2, editor: 3, owner: 4 };

function rank(role: string | undefined | null): number {
  return RANK[(role ?? "owner") as SessionRole] ?? 0;
}

export interface Abilities {
  /** Run, rerun, cancel and stop. */
  run: boolean;
  /** Change and save the graph. */
  edit: boolean;
  /** Rename, delete, share, publish as recipe. */
  own: boolean;
}

export function abilities(role: string | undefined | null): Abilities {
  const r = rank(role);
  return { run: r >= RANK.runner, edit: r >= RANK.editor, own: r >= RANK.owner };
}

/** The badge a shared session carries ("" for the owner's own sessions). */
export function roleBadge(role: string | undefined | null): string {
  if (!role || role === "owner") return "";
  return role.charAt(0).toUpperCase() + role.slice(1);
}

export const SHARE_ROLES: { id: Exclude<SessionRole, "owner">; label: string; help: string }[] = [
  { id: "viewer", label: "Viewer", help: "sees the workflow, outputs and gallery" },
  { id: "runner", label: "Runner", help: "also runs, reruns and stops it" },
  { id: "editor", label: "Editor", help: "also changes and saves the workflow" },
];
