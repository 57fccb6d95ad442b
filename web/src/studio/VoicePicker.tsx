import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, voiceSampleUrl } from "../lib/api";
import type { components } from "../lib/api-types";
import type { FormField } from "../lib/schemaForm";
import { toast } from "../components/toast";

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
  const sample = useVoiceSample();
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
      {current && (
        <p className="muted small voice-chosen">
          Chosen: {chosen ? describe(chosen) : current}
          {chosen && <SampleButton voice={chosen} sample={sample} />}
        </p>
      )}
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
              <SampleButton voice={v} sample={sample} />
            </li>
          ))}
          {voices !== null && matches.length === 0 && <li className="muted small pad">No {engine ? `${engine} ` : ""}voice matches “{query}”.</li>}
        </ul>
      )}
    </div>
  );
}

type SampleState = { playing: string | null; loading: string | null; toggle: (id: string) => void };

/** One shared player for voice samples: ▶ plays a voice (made by the server the first time), ■ stops it. */
function useVoiceSample(): SampleState {
  const audio = useRef<HTMLAudioElement | null>(null);
  const [playing, setPlaying] = useState<string | null>(null);
  const [loading, setLoading] = useState<string | null>(null);
  useEffect(() => () => audio.current?.pause(), []);
  const toggle = useCallback(
    (voiceId: string) => {
      const el = audio.current ?? (audio.current = new Audio());
      if (playing === voiceId) {
        el.pause();
        setPlaying(null);
        return;
      }
      el.pause();
      el.src = voiceSampleUrl(voiceId);
      el.onended = () => setPlaying(null);
      setLoading(voiceId);
      el.play().then(
        () => {
          setLoading(null);
          setPlaying(voiceId);
        },
        () => {
          setLoading(null);
          setPlaying(null);
          toast("This voice's sample could not be played.", "error");
        },
      );
    },
    [playing],
  );
  return { playing, loading, toggle };
}

function SampleButton({ voice, sample }: { voice: Voice; sample: SampleState }) {
  const on = sample.playing === voice.id;
  return (
    <button
      type="button"
      className="icon-btn voice-play"
      onMouseDown={(e) => e.preventDefault()}
      onClick={() => sample.toggle(voice.id)}
      aria-label={on ? `Stop the sample of ${voice.name}` : `Play a sample of ${voice.name}`}
      aria-pressed={on}
      title={on ? "Stop" : "Hear this voice"}
    >
      {sample.loading === voice.id ? "…" : on ? "■" : "▶"}
    </button>
  );
}
