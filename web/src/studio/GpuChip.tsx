import { useCallback, useEffect, useState } from "react";
import { api, errorText, type GpuStatus } from "../lib/api";
import { toast } from "../components/toast";

const POLL_MS = 5000;

function gb(bytes: number | null | undefined): string | null {
  return bytes ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : null;
}

/** The GPU runtime's state (GET /api/v2/gpu/status) with start and stop, in the studio toolbar. */
export function GpuChip() {
  const [status, setStatus] = useState<GpuStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(() => {
    api.gpuStatus().then(setStatus, () => setStatus(null));
  }, []);
  useEffect(() => {
    refresh();
    const t = window.setInterval(() => document.visibilityState === "visible" && refresh(), POLL_MS);
    return () => window.clearInterval(t);
  }, [refresh]);
  if (!status) return null;
  const act = async (what: "start" | "stop") => {
    setBusy(true);
    try {
      setStatus(what === "start" ? await api.gpuStart() : await api.gpuStop("graceful"));
      refresh();
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setBusy(false);
    }
  };
  const device = status.device_name || status.device || "no device";
  const tip = [`GPU runtime: ${status.state}`, `device: ${device}`, gb(status.memory?.total_bytes) && `memory: ${gb(status.memory?.total_bytes)}`, `models loaded: ${gb(status.memory?.models_bytes) ?? "none"}`, `running tasks: ${status.running_tasks ?? 0}`]
    .filter(Boolean)
    .join("\n");
  const up = status.state === "ready" || status.state === "starting";
  return (
    <div className={`gpu-chip gpu-${status.state}`} role="group" aria-label={`GPU ${status.state} on ${device}`} title={tip}>
      <span className="gpu-dot" aria-hidden="true" />
      <span className="gpu-text">
        GPU <strong>{status.state}</strong> <span className="muted">· {status.device ?? "?"}</span>
      </span>
      <button className="gpu-btn" disabled={busy || status.state === "starting" || status.state === "stopping"} onClick={() => void act(up ? "stop" : "start")} aria-label={up ? "Stop GPU runtime" : "Start GPU runtime"}>
        {busy ? "…" : up ? "Stop" : "Start"}
      </button>
    </div>
  );
}
