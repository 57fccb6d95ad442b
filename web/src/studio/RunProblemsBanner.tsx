/** Why the server refused to run the workflow (the first few problems), until dismissed or the next run. */
export function RunProblemsBanner({ problems, onDismiss }: { problems: string[]; onDismiss: () => void }) {
  return (
    <div className="banner banner-error" role="alert" aria-label="Workflow problems">
      <strong>The workflow can’t run yet</strong>
      <ul>
        {problems.slice(0, 4).map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      <button className="icon-btn" onClick={onDismiss} aria-label="Dismiss problems">
        ✕
      </button>
    </div>
  );
}
