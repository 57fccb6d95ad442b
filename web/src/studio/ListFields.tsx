import type { FormField } from "../lib/schemaForm";
import { ParamField } from "./ParamField";

const label = (option: unknown) => String(option).replace(/_/g, " ");

/** A list of choices (e.g. Video Effects presets): each choice is a chip that toggles; order follows the list. */
export function ChipsField({ field, value, onChange }: { field: FormField; value: unknown; onChange: (v: unknown) => void }) {
  const chosen = Array.isArray(value) ? value : [];
  const full = field.maxItems !== undefined && chosen.length >= field.maxItems;
  const toggle = (option: unknown) =>
    onChange(chosen.includes(option) ? chosen.filter((c) => c !== option) : (field.options ?? []).filter((o) => o === option || chosen.includes(o)));
  return (
    <div className="chips" role="group" aria-label={field.label}>
      {(field.options ?? []).map((option) => {
        const on = chosen.includes(option);
        return (
          <button key={String(option)} type="button" className={`chip ${on ? "on" : ""}`} aria-pressed={on} disabled={!on && full} onClick={() => toggle(option)}>
            {label(option)}
          </button>
        );
      })}
      {chosen.length === 0 && <span className="muted small">None chosen</span>}
    </div>
  );
}

type Row = Record<string, unknown>;

function newRow(fields: FormField[]): Row {
  return Object.fromEntries(fields.filter((f) => f.default !== undefined || f.required).map((f) => [f.name, f.default ?? ""]));
}

/** A list of objects (e.g. a LoRA chain): one row of fields per item, with add, remove and reorder. */
export function RowsField({ field, value, onChange, idPrefix = "param" }: { field: FormField; value: unknown; onChange: (v: unknown) => void; idPrefix?: string }) {
  const rows: Row[] = Array.isArray(value) ? (value as Row[]) : [];
  const fields = field.itemFields ?? [];
  const set = (next: Row[]) => onChange(next);
  const full = field.maxItems !== undefined && rows.length >= field.maxItems;
  return (
    <div className="rows-field" role="group" aria-label={field.label}>
      {rows.length === 0 && <p className="muted small">No {field.label.toLowerCase()} yet.</p>}
      {rows.map((row, i) => (
        <div className="rows-item" key={i} role="group" aria-label={`${field.label} ${i + 1}`}>
          {fields.map((f) => (
            <ParamField key={f.name} field={f} value={row[f.name]} idPrefix={`${idPrefix}-${field.name}-${i}`} onChange={(v) => set(rows.map((r, j) => (j === i ? { ...r, [f.name]: v } : r)))} />
          ))}
          <div className="rows-actions">
            <button type="button" className="icon-btn" disabled={i === 0} aria-label={`Move ${field.label} ${i + 1} up`} onClick={() => set(rows.map((r, j) => (j === i - 1 ? rows[i] : j === i ? rows[i - 1] : r)))}>
              ↑
            </button>
            <button type="button" className="icon-btn" aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => set(rows.filter((_, j) => j !== i))}>
              ✕
            </button>
          </div>
        </div>
      ))}
      <button type="button" className="btn btn-small" disabled={full} onClick={() => set([...rows, newRow(fields)])}>
        + Add {field.label.toLowerCase().replace(/s$/, "")}
      </button>
    </div>
  );
}
