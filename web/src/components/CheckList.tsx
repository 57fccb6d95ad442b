import type { ReactNode } from "react";

/** A fieldset of checkboxes over a fixed list of choices (scopes, events…), the chosen ids in order of clicking. */
export function CheckList<T extends string>({
  legend,
  choices,
  chosen,
  onChange,
  error,
}: {
  legend: string;
  choices: readonly { id: T; label: string }[];
  chosen: T[];
  onChange: (next: T[]) => void;
  error?: ReactNode;
}) {
  const noun = legend.replace(/s$/, "");
  return (
    <fieldset className="field" aria-label={legend}>
      <legend>{legend}</legend>
      {choices.map((choice) => (
        <label key={choice.id} className="row gap">
          <input
            type="checkbox"
            checked={chosen.includes(choice.id)}
            aria-label={`${noun} ${choice.id}`}
            onChange={(e) => onChange(e.target.checked ? [...chosen, choice.id] : chosen.filter((x) => x !== choice.id))}
          />
          <code>{choice.id}</code> <span className="muted small">{choice.label}</span>
        </label>
      ))}
      {error}
    </fieldset>
  );
}
