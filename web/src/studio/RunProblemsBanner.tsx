import { navigate } from "../lib/router";

/** Why the server refused to run the workflow (the first few problems), until dismissed or the next run.
 * A run refused for credits links to the billing page. */
export function RunProblemsBanner({ problems, billing, onDismiss }: { problems: string[]; billing?: boolean; onDismiss: () => void }) {
  return (
    <div className="banner banner-error" role="alert" aria-label={billing ? "Not enough credits" : "Workflow problems"}>
      <strong>{billing ? "Credits stop this run" : "The workflow can’t run yet"}</strong>
      <ul>
        {problems.slice(0, 4).map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
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
