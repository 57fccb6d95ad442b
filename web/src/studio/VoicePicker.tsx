import { useEffect, useMemo, useState } from "react";
import { api } from "../lib/api";
import type { components } from "../lib/api-types";
import type { FormField } from "../lib/schemaForm";

type Voice = components["schemas"]["VoicePublic"];

let catalog: Promise<Voice[]> | null = null;
/** The studio's voices, fetched once per page (they change only when voices are installed). */
function loadVoices(): Promise<Voice[]> {
  catalog ??= api.voices().then((v) => v.voices).catch((e: unknown) => {
    catalog = null;
    throw e;
  });
  return catalog;
}

const describe = (v: Voice) => `${v.name} · ${v.language ?? "?"} · ${v.engine}`;

/** A searchable voice list (name, language, engine) instead of a free-text box; empty = the engine's default. */
export function VoicePicker({ field, value, onChange, id, engine }: { field: FormField; value: unknown; onChange: (v: unknown) => void; id: string; engine?: string }) {
  const [voices, setVoices] = useState<Voice[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  useEffect(() => {
    let live = true;
    loadVoices().then((v) => live && setVoices(v), () => live && setFailed(true));
    return () => {
      live = false;
    };
  }, []);
  const current = String(value ?? "");
  const chosen = voices?.find((v) => v.id === current);
  const matches = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const usable = (voices ?? []).filter((v) => !engine || v.engine === engine);
    // a language code that starts with the query first ("fr" → fr-fr before Afrikaans), then names
    const score = (v: Voice) => (words.length && (v.language ?? "").toLowerCase().startsWith(words[0]) ? 0 : v.name.toLowerCase().startsWith(words[0] ?? "") ? 1 : 2);
    return usable
      .filter((v) => words.every((w) => `${v.id} ${v.name} ${v.language ?? ""} ${v.gender ?? ""}`.toLowerCase().includes(w)))
      .sort((a, b) => score(a) - score(b))
      .slice(0, 60);
  }, [voices, query, engine]);
  const pick = (voiceId: string) => {
    onChange(voiceId);
    setOpen(false);
    setQuery("");
  };
  if (failed) {
    return <input id={id} type="text" value={current} aria-label={field.label} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <div className="voice-picker">
      <input
        id={id}
        type="search"
        role="combobox"
        aria-expanded={open}
        aria-controls={`${id}-list`}
        aria-label={field.label}
        placeholder={chosen ? describe(chosen) : current || "Engine default — search by name or language"}
        value={query}
        onFocus={() => setOpen(true)}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape") setOpen(false);
          if (e.key === "Enter" && matches[0]) pick(matches[0].id);
        }}
      />
      {current && <p className="muted small">Chosen: {chosen ? describe(chosen) : current}</p>}
      {open && (
        <ul id={`${id}-list`} role="listbox" aria-label={`${field.label} choices`} className="voice-list">
          <li role="option" aria-selected={current === ""}>
            <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => pick("")}>
              Engine default
            </button>
          </li>
          {voices === null && <li className="muted small pad">Loading voices…</li>}
          {matches.map((v) => (
            <li key={v.id} role="option" aria-selected={v.id === current}>
              <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => pick(v.id)} aria-label={`Voice ${v.name}, ${v.language ?? "unknown language"}, ${v.engine}`}>
                <span>{v.name}</span>
                <span className="muted small">{v.language ?? ""} · {v.engine}{v.gender ? ` · ${v.gender}` : ""}</span>
              </button>
            </li>
          ))}
          {voices !== null && matches.length === 0 && <li className="muted small pad">No {engine ? `${engine} ` : ""}voice matches “{query}”.</li>}
        </ul>
      )}
    </div>
  );
}
