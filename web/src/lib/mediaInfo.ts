/** The engine that produced an output, read from its media record's metadata; fetched once per media id. */
import { useEffect, useState } from "react";
import { api } from "./api";

export interface EngineInfo {
  engine: string | null;
  ai: boolean;
  /** A classical (non-model) method: shown as such, never as the model. */
  classical: boolean;
}

/** Reads `engine` and `ai_generated` from a media record's metadata. */
export function engineInfo(metadata: unknown): EngineInfo | null {
  if (!metadata || typeof metadata !== "object") return null;
  const m = metadata as { engine?: unknown; ai_generated?: unknown; model?: unknown };
  const engine = typeof m.engine === "string" && m.engine ? m.engine : null;
  const ai = m.ai_generated === true;
  if (!engine && !ai) return null;
  return { engine, ai, classical: !!engine && /^classical/i.test(engine) };
}

const cache = new Map<string, Promise<EngineInfo | null>>();
async function fetchInfo(mediaId: string): Promise<EngineInfo | null> {
  // An output's media id is announced only once its record is stored (the run writer's rule): no retry.
  const rec = await api.mediaRecord(mediaId);
  return engineInfo(rec.metadata);
}

export function loadEngineInfo(mediaId: string): Promise<EngineInfo | null> {
  let p = cache.get(mediaId);
  if (!p) {
    p = fetchInfo(mediaId);
    cache.set(mediaId, p);
    p.catch(() => cache.delete(mediaId)); // a failure is not cached
  }
  return p;
}

export function useEngineInfo(mediaId: string | null | undefined): EngineInfo | null {
  const [info, setInfo] = useState<{ id: string; value: EngineInfo | null } | null>(null);
  useEffect(() => {
    if (!mediaId) return;
    let live = true;
    loadEngineInfo(mediaId).then(
      (value) => live && setInfo({ id: mediaId, value }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [mediaId]);
  return info && info.id === mediaId ? info.value : null;
}
