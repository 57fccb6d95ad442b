import { useEffect, useState } from "react";
import { coerceNumber, randomSeed, type FormField } from "../lib/schemaForm";
import { ChipsField, RowsField } from "./ListFields";
import { VoicePicker } from "./VoicePicker";

interface Props {
  field: FormField;
  value: unknown;
  onChange: (value: unknown, coalesce?: boolean) => void;
  placeholder?: string;
  /** Distinguishes element ids when the same field is edited in several places (loop overrides). */
  idPrefix?: string;
  /** The other parameters of the same node (a voice list follows the chosen engine). */
  siblings?: Record<string, unknown>;
}

function NumberEntry({ field, value, onChange }: Props) {
  const [text, setText] = useState(value === undefined || value === null ? "" : String(value));
  useEffect(() => setText(value === undefined || value === null ? "" : String(value)), [value]);
  const commit = () => {
    if (text.trim() === "") {
      if (field.nullable) onChange(null);
      else setText(String(value ?? ""));
      return;
    }
    const v = coerceNumber(field, Number(text));
    setText(String(v));
    onChange(v);
  };
  return (
    <input
      type="number"
      className="num-input"
      value={text}
      min={field.min}
      max={field.max}
      step={field.step}
      aria-label={`${field.label} value`}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === "Enter" && commit()}
    />
  );
}

/** One Inspector control, chosen by the schema-to-form mapping. */
export function ParamField({ field, value, onChange, placeholder, idPrefix = "param", siblings }: Props) {
  const current = value === undefined ? field.default : value;
  const id = `${idPrefix}-${field.name}`;
  let control: React.ReactNode;
  switch (field.kind) {
    case "textarea":
      control = (
        <textarea id={id} rows={field.name.includes("system") ? 5 : 4} value={String(current ?? "")} maxLength={field.maxLength} placeholder={placeholder} aria-label={field.label} onChange={(e) => onChange(e.target.value, true)} />
      );
      break;
    case "text":
      control = <input id={id} type="text" value={String(current ?? "")} maxLength={field.maxLength} aria-label={field.label} onChange={(e) => onChange(e.target.value, true)} />;
      break;
    case "slider":
      control = (
        <div className="slider-row">
          <input
            id={id}
            type="range"
            min={field.min}
            max={field.max}
            step={field.step}
            value={Number(current ?? field.min ?? 0)}
            aria-label={field.label}
            onChange={(e) => onChange(coerceNumber(field, Number(e.target.value)), true)}
          />
          <NumberEntry field={field} value={current} onChange={onChange} />
        </div>
      );
      break;
    case "number":
      control = <NumberEntry field={field} value={current} onChange={onChange} />;
      break;
    case "seed":
      control = (
        <div className="slider-row">
          <NumberEntry field={field} value={current} onChange={onChange} />
          <button className="btn btn-small" onClick={() => onChange(randomSeed(field))} aria-label={`Randomize ${field.label.toLowerCase()}`} title="Randomize">
            🎲 Random
          </button>
        </div>
      );
      break;
    case "select":
      control = (
        <select id={id} value={String(current ?? "")} aria-label={field.label} onChange={(e) => onChange(field.options?.find((o) => String(o) === e.target.value) ?? e.target.value)}>
          {field.nullable && <option value="">—</option>}
          {current != null && current !== "" && !field.options?.some((o) => String(o) === String(current)) && <option value={String(current)}>{String(current)}</option>}
          {field.options?.map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    case "checkbox":
      return (
        <label className="check-row">
          <input type="checkbox" checked={!!current} aria-label={field.label} onChange={(e) => onChange(e.target.checked)} />
          <span>{field.label}</span>
          {field.description && <span className="help">{field.description}</span>}
        </label>
      );
    case "color": {
      const s = String(current ?? "#000000");
      control = (
        <div className="slider-row">
          <input type="color" value={s.slice(0, 7)} aria-label={`${field.label} picker`} onChange={(e) => onChange(e.target.value + s.slice(7), true)} />
          <input id={id} type="text" className="mono" value={s} aria-label={field.label} onChange={(e) => onChange(e.target.value, true)} />
        </div>
      );
      break;
    }
    case "chips":
      control = <ChipsField field={field} value={current} onChange={onChange} />;
      break;
    case "rows":
      control = <RowsField field={field} value={current} onChange={onChange} idPrefix={idPrefix} />;
      break;
    case "voice":
      control = <VoicePicker field={field} value={current} onChange={onChange} id={id} engine={field.engineParam ? String(siblings?.[field.engineParam] ?? "") : undefined} />;
      break;
    default:
      control = <JsonField field={field} value={current} onChange={onChange} idPrefix={idPrefix} />;
  }
  return (
    <div className="pfield">
      <label htmlFor={id} className="pfield-label">
        {field.label}
        {field.required && <span className="req" aria-label="required">*</span>}
      </label>
      {control}
      {field.description && <p className="help">{field.description}</p>}
    </div>
  );
}

function JsonField({ field, value, onChange, idPrefix = "param" }: Props) {
  const [text, setText] = useState(JSON.stringify(value ?? null, null, 1));
  const [bad, setBad] = useState(false);
  useEffect(() => setText(JSON.stringify(value ?? null, null, 1)), [value]);
  return (
    <textarea
      id={`${idPrefix}-${field.name}`}
      className={`mono ${bad ? "invalid" : ""}`}
      rows={3}
      value={text}
      aria-label={`${field.label} (JSON)`}
      onChange={(e) => setText(e.target.value)}
      onBlur={() => {
        try {
          onChange(JSON.parse(text));
          setBad(false);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}
