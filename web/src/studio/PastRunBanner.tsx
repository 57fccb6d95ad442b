import { whenText } from "../lib/runHistory";

/** Says the canvas shows an older run's outputs, with the way back to the latest ones. */
export function PastRunBanner({ createdAt, onBack }: { createdAt: number | null; onBack: () => void }) {
  return (
    <div className="banner banner-info past-run-banner" role="status" aria-label="Showing a past run">
      <strong>Showing the outputs of a past run</strong>
      <span>{createdAt ? `Run ${whenText(createdAt)}` : ""} · the next run shows live outputs again.</span>
      <button className="btn" onClick={onBack} aria-label="Back to the latest outputs">
        Back to latest
      </button>
    </div>
  );
}
