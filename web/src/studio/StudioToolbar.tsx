import { useState } from "react";
import { api, errorText } from "../lib/api";
import type { Abilities } from "../lib/roles";
import { roleBadge } from "../lib/roles";
import type { Me, SessionDoc } from "../lib/types";
import { Logo } from "../components/ui";
import { toast } from "../components/toast";
import { queueLabel } from "../lib/runHistory";
import { GpuChip } from "./GpuChip";
import type { RunSummary } from "./runStore";
import type { SaveState } from "./useAutosave";

const SAVE_TEXT: Record<SaveState["kind"], string> = {
  saved: "Saved",
  dirty: "Unsaved changes",
  saving: "Saving…",
  conflict: "Not saved: conflict",
  behind: "Behind: changed elsewhere",
  error: "Not saved",
};

interface Props {
  session: SessionDoc;
  me: Me;
  can: Abilities;
  save: SaveState;
  live: "connecting" | "live" | "reconnecting";
  run: RunSummary;
  canUndo: boolean;
  canRedo: boolean;
  panels: { palette: boolean; inspector: boolean };
  onTogglePanel: (p: "palette" | "inspector") => void;
  onUndo: () => void;
  onRedo: () => void;
  onRun: () => void;
  onStop: () => void;
  onHelp: () => void;
  onHistory: () => void;
  onPublish: () => void;
  onPublishApp: () => void;
  onShare: () => void;
  onLeave: (path: string) => void;
}

export function StudioToolbar(p: Props) {
  const [name, setName] = useState(p.session.name);
  const running = p.run.status === "running" || p.run.status === "queued";
  const queued = queueLabel(p.run.queued.length);
  async function rename() {
    const clean = name.trim() || "Untitled session";
    if (clean === p.session.name) return;
    try {
      await api.renameSession(p.session.id, clean);
      p.session.name = clean;
      toast("Session renamed", "success");
    } catch (e) {
      toast(errorText(e), "error");
      setName(p.session.name);
    }
  }
  return (
    <header className="studio-bar">
      <Logo />
      <button className="btn btn-ghost" onClick={() => p.onLeave("/")} aria-label="Back to sessions">
        ← Sessions
      </button>
      <input
        className="session-title"
        value={name}
        onChange={(e) => setName(e.target.value)}
        onBlur={rename}
        onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
        aria-label="Session name"
        maxLength={200}
        readOnly={!p.can.own}
        title={p.can.own ? undefined : "Only the owner renames a session"}
      />
      {roleBadge(p.session.role) && (
        <span className="role-badge" role="status" aria-label={`Your role: ${p.session.role}`} title={p.can.edit ? undefined : p.can.run ? "You can run this workflow but not change it" : "Read-only: you can look but not change or run"}>
          {roleBadge(p.session.role)}
          {p.can.edit ? "" : " · read-only"}
        </span>
      )}
      {p.can.edit && <span className={`save-state save-${p.save.kind}`} role="status" aria-label={`Save state: ${SAVE_TEXT[p.save.kind]}`} title={p.save.kind === "error" ? p.save.message : undefined}>
        {SAVE_TEXT[p.save.kind]}
      </span>}
      <span className={`live-dot live-${p.live}`} title={p.live === "live" ? "Live updates connected" : "Reconnecting to live updates…"} aria-label={`Live updates: ${p.live}`} />
      {p.can.edit && <div className="bar-group" role="group" aria-label="Edit">
        <button className="icon-btn" onClick={p.onUndo} disabled={!p.canUndo} aria-label="Undo" title="Undo (Ctrl+Z)">
          ↶
        </button>
        <button className="icon-btn" onClick={p.onRedo} disabled={!p.canRedo} aria-label="Redo" title="Redo (Ctrl+Shift+Z)">
          ↷
        </button>
      </div>}
      <div className="bar-group" role="group" aria-label="Panels">
        <button className={`icon-btn ${p.panels.palette ? "on" : ""}`} onClick={() => p.onTogglePanel("palette")} aria-pressed={p.panels.palette} aria-label="Toggle node palette" title="Node palette">
          ☰
        </button>
        <button className={`icon-btn ${p.panels.inspector ? "on" : ""}`} onClick={() => p.onTogglePanel("inspector")} aria-pressed={p.panels.inspector} aria-label="Toggle inspector" title="Inspector">
          ◧
        </button>
        <button className="icon-btn" onClick={p.onHelp} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
          ?
        </button>
        <button className="icon-btn" onClick={p.onHistory} aria-label="Run history" title="Runs: the queue and past runs">
          ⏱
        </button>
      </div>
      <div className="spacer" />
      <GpuChip />
      {queued && (
        <button className="btn btn-ghost queue-chip" onClick={p.onHistory} aria-label={`Runs waiting: ${p.run.queued.length}`} title="Runs waiting their turn: open the queue">
          {queued}
        </button>
      )}
      {p.run.status && !running && (
        <span className={`run-state run-${p.run.status}`} role="status" aria-label={`Last run: ${p.run.status}`}>
          <span className="run-prefix">Last run: </span>
          {p.run.status}
        </span>
      )}
      {p.can.own && (
        <button className="btn btn-ghost" onClick={p.onShare} aria-label="Share session" title="Invite people to view, run or edit this session">
          ⇄<span className="bar-label"> Share</span>
        </button>
      )}
      {p.can.own && <button className="btn btn-ghost" onClick={p.onPublish} aria-label="Publish as recipe" title="Publish as recipe: choose which node fields become inputs">
        ⇪<span className="bar-label"> Publish</span>
      </button>}
      {p.can.own && <button className="btn btn-ghost" onClick={p.onPublishApp} aria-label="Publish as app" title="Publish as app: inputs, outputs and who may run it (the Magnific apps API)">
        ◈<span className="bar-label"> App</span>
      </button>}
      <button className="btn btn-ghost" onClick={() => p.onLeave("/gallery")} aria-label="Open My Gallery" title="My Gallery">
        ▦<span className="bar-label"> Gallery</span>
      </button>
      {running && p.can.run ? (
        <button className="btn btn-danger" onClick={p.onStop} aria-label="Stop session">
          ■ Stop
        </button>
      ) : null}
      {p.can.run && (
        <button
          className="btn btn-primary btn-run"
          onClick={p.onRun}
          aria-label={running ? "Queue another run" : "Run workflow"}
          title={running ? "Queue a run of the workflow as it is now: it starts when this one ends (Ctrl+Enter)" : "Run workflow (Ctrl+Enter)"}
        >
          {running ? <>▶ Queue<span className="bar-label"> run</span></> : <>▶ Run<span className="bar-label"> workflow</span></>}
        </button>
      )}
      <button className="user-chip" onClick={() => p.onLeave("/profile/api-key")} aria-label={`Profile of ${p.me.email}`} title={p.me.email}>
        {p.me.email.slice(0, 1).toUpperCase()}
      </button>
    </header>
  );
}
