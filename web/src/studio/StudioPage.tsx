import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { navigate } from "../lib/router";
import type { Me, NodeSpec, SessionDoc } from "../lib/types";
import { ErrorState, FullPageLoading } from "../components/ui";
import { Canvas } from "./Canvas";

/** Loads the session and the node catalog, then opens the canvas. */
export function StudioPage({ sessionId, me }: { sessionId: string; me: Me }) {
  const [session, setSession] = useState<SessionDoc | null>(null);
  const [catalog, setCatalog] = useState<NodeSpec[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  const load = useCallback(() => {
    setError(null);
    setSession(null);
    Promise.all([api.getSession(sessionId), api.catalog()]).then(
      ([s, c]) => {
        setSession(s);
        setCatalog(c.nodes);
        setGeneration((g) => g + 1);
      },
      (e) => setError(errorText(e)),
    );
  }, [sessionId]);

  useEffect(load, [load]);

  if (error) {
    return (
      <div className="full-page-center">
        <ErrorState message={error} onRetry={load} />
        <button className="link-btn" onClick={() => navigate("/")} aria-label="Back to sessions">
          ← Back to sessions
        </button>
      </div>
    );
  }
  if (!session || !catalog) return <FullPageLoading label="Opening session…" />;
  return (
    <ReactFlowProvider key={generation}>
      <Canvas session={session} specs={catalog} me={me} onReload={load} />
    </ReactFlowProvider>
  );
}
