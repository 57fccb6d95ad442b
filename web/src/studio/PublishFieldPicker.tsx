import type { ReactNode } from "react";
import { editPicked, groupByNode, togglePicked, type FieldCandidate, type Picked, type PickedField } from "../lib/publishFields";

/** The node-field picker of the publish dialogs (recipe and app): fields grouped by node, a checkbox
 * each; a picked field gets a text box (the input's name or label) and a "required" box. */
export function PublishFieldPicker<C extends FieldCandidate>({
  legend,
  ariaLabel,
  candidates,
  picked,
  onChange,
  initial,
  pickLabel,
  textLabel,
  requiredLabel,
  badge,
  textClassName = "publish-name",
  textMaxLength,
  empty,
}: {
  legend: string;
  ariaLabel: string;
  candidates: C[];
  picked: Picked;
  onChange: (next: Picked) => void;
  /** The text and required of a field when it is picked (``cur``: what is picked already). */
  initial: (c: C, cur: Picked) => PickedField;
  pickLabel: (c: C) => string;
  textLabel: (c: C) => string;
  requiredLabel?: (c: C) => string;
  badge?: (c: C) => ReactNode;
  textClassName?: string;
  textMaxLength?: number;
  empty: string;
}) {
  return (
    <fieldset className="publish-inputs" aria-label={ariaLabel}>
      <legend>{legend}</legend>
      {groupByNode(candidates).map(([nodeId, list]) => (
        <div key={nodeId} className="publish-node">
          <strong className="small">{list[0].nodeTitle}</strong>
          {list.map((c) => {
            const pick = picked[c.key];
            return (
              <div key={c.key} className={`publish-row ${pick ? "on" : ""}`}>
                <label className="check-row">
                  <input type="checkbox" checked={!!pick} onChange={() => onChange(togglePicked(picked, c.key, (cur) => initial(c, cur)))} aria-label={pickLabel(c)} />
                  <span>{c.label}</span>
                  {badge && <> {badge(c)}</>}
                </label>
                {pick && (
                  <>
                    <input
                      className={textClassName}
                      value={pick.text}
                      onChange={(e) => onChange(editPicked(picked, c.key, { text: e.target.value }))}
                      aria-label={textLabel(c)}
                      maxLength={textMaxLength}
                    />
                    <label className="check-row small">
                      <input
                        type="checkbox"
                        checked={pick.required}
                        onChange={(e) => onChange(editPicked(picked, c.key, { required: e.target.checked }))}
                        aria-label={requiredLabel?.(c)}
                      />
                      required
                    </label>
                  </>
                )}
              </div>
            );
          })}
        </div>
      ))}
      {!candidates.length && <p className="muted small">{empty}</p>}
    </fieldset>
  );
}
