import { navigate } from "../lib/router";
import type { RunProblem } from "./runProblems";

/** Why the server refused to run the workflow (the first few problems), until dismissed or the next run.
 * A problem that names a node can show it; when only unconnected nodes stop the run, the rest can run
 * without them. A run refused for credits links to the billing page. */
export function RunProblemsBanner({
  problems,
  billing,
  onDismiss,
  onShow,
  onRunRest,
}: {
  problems: RunProblem[];
  billing?: boolean;
  onDismiss: () => void;
  onShow?: (nodeId: string) => void;
  onRunRest?: () => void;
}) {
  return (
    <div className="banner banner-error" role="alert" aria-label={billing ? "Not enough credits" : "Workflow problems"}>
      <strong>{billing ? "Credits stop this run" : "The workflow can’t run yet"}</strong>
      <ul>
        {problems.slice(0, 4).map((p) => (
          <li key={`${p.nodeId ?? ""}:${p.message}`}>
            {p.message}
            {p.nodeId && onShow && (
              <>
                {" "}
                <button className="link-btn" onClick={() => onShow(p.nodeId as string)} aria-label={`Show the node: ${p.message}`}>
                  Show
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {onRunRest && (
        <button className="btn" onClick={onRunRest} title="Skip the unconnected nodes (and what comes after them) and run everything else">
          Run everything else
        </button>
      )}
      {billing && (
        <a
          href="/billing"
          aria-label="Open Billing"
          onClick={(e) => {
            e.preventDefault();
            navigate("/billing");
          }}
        >
          Open Billing →
        </a>
      )}
      <button className="icon-btn" onClick={onDismiss} aria-label="Dismiss problems">
        ✕
      </button>
    </div>
  );
}
