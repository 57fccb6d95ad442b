import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError, api, errorText } from "../lib/api";
import { navigate } from "../lib/router";
import {
  groupRecipes,
  initialValues,
  mapRecipeErrors,
  missingRequired,
  recipeFields,
  recipeInputs,
  recipeTitle,
  type RecipeDetail,
  type RecipeField,
  type RecipeSummary,
} from "../lib/recipeForm";
import { availableTemplates, type Template } from "../lib/templates";
import { MediaThumb } from "../components/MediaThumb";
import { ModalActions } from "../components/ModalActions";
import { Modal } from "../components/ui";
import { runToastKey, toast } from "../components/toast";
import { GalleryPicker } from "../studio/GalleryPicker";
import { ParamField } from "../studio/ParamField";

type Choice = { kind: "blank" } | { kind: "template"; template: Template } | { kind: "recipe"; recipe: RecipeSummary };

const keyOf = (c: Choice) => (c.kind === "blank" ? "blank" : c.kind === "template" ? `t:${c.template.id}` : `r:${c.recipe.id}`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function ChoiceCard({ choice, title, desc, tag, selected, onPick }: { choice: Choice; title: string; desc: string; tag?: string; selected: boolean; onPick: (c: Choice) => void }) {
  return (
    <label className={`choice-card ${selected ? "selected" : ""}`}>
      <input type="radio" name="start" checked={selected} onChange={() => onPick(choice)} aria-label={title} />
      <span className="choice-title">
        <strong>{title}</strong>
        {tag && <span className="tag">{tag}</span>}
      </span>
      <span className="muted small choice-desc">{desc}</span>
    </label>
  );
}

const ACCEPT: Record<string, string> = { image: "image/*", video: "video/*", audio: "audio/*" };

/** A recipe input bound to an upload node: an http(s) link, media picked from the gallery, or a file uploaded from disk. */
function MediaInputField({ field, value, error, onChange }: { field: RecipeField; value: string; error?: string; onChange: (v: string) => void }) {
  const [picking, setPicking] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [chosenName, setChosenName] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const label = field.label.replace(/ url$/i, "");
  const upload = async (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    setUploading(true);
    try {
      const [item] = await api.uploadToGallery([file], field.media ?? null);
      if (item) {
        onChange(item.id);
        setChosenName(item.filename);
      }
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setUploading(false);
      if (fileInput.current) fileInput.current.value = "";
    }
  };
  return (
    <div className={`pfield ${error ? "has-error" : ""}`}>
      <label className="pfield-label" htmlFor={`recipe-${field.name}`}>
        {label} <span className="muted small">({field.media})</span>
        {field.required && <span className="req" aria-label="required">*</span>}
      </label>
      <div className="media-input">
        {UUID.test(value) && <MediaThumb id={value} kind={field.media ?? "image"} />}
        <input id={`recipe-${field.name}`} type="text" value={value} placeholder="https://… or pick from your gallery" onChange={(e) => onChange(e.target.value)} aria-label={field.label} aria-invalid={!!error} />
        <button type="button" className="btn btn-small" onClick={() => setPicking(true)} aria-label={`Pick ${label} from gallery`}>
          Gallery…
        </button>
        <button type="button" className="btn btn-small" disabled={uploading} onClick={() => fileInput.current?.click()} aria-label={`Upload ${label} from disk`}>
          {uploading ? "Uploading…" : "Upload…"}
        </button>
        <input ref={fileInput} type="file" hidden accept={ACCEPT[field.media ?? ""] ?? undefined} onChange={(e) => void upload(e.target.files)} aria-label={`${label} file`} />
      </div>
      {UUID.test(value) && chosenName && <p className="muted small media-chosen">Chosen: {chosenName}</p>}
      {error ? <p className="field-error" role="alert">{error}</p> : field.description && <p className="help">{field.description}</p>}
      {picking && (
        <GalleryPicker
          kind={field.media}
          onClose={() => setPicking(false)}
          onPick={(items) => {
            if (items[0]) {
              onChange(items[0].id);
              setChosenName(items[0].filename);
            }
            setPicking(false);
          }}
        />
      )}
    </div>
  );
}

/** The recipe's inputs as a form generated from its JSON Schema, with server errors next to the failing fields. */
function RecipeForm({ recipe, name, onCancel }: { recipe: RecipeSummary; name: string; onCancel: () => void }) {
  const [detail, setDetail] = useState<RecipeDetail | null>(null);
  const [values, setValues] = useState<Record<string, unknown>>(() => initialValues(recipe));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<"open" | "run" | null>(null);
  useEffect(() => {
    api.recipe(recipe.id).then(setDetail, () => setDetail(null));
  }, [recipe.id]);
  const fields = useMemo(() => recipeFields(recipe, detail), [recipe, detail]);

  async function submit(execute: boolean) {
    const missing = missingRequired(fields, values);
    if (Object.keys(missing).length) return setErrors(missing);
    setBusy(execute ? "run" : "open");
    setErrors({});
    try {
      const r = await api.runRecipe(recipe.id, { session_name: name.trim() || recipe.name, execute, inputs: recipeInputs(fields, values) });
      if (execute) toast(`Running “${recipeTitle(recipe)}”…`, "info", runToastKey(r.session_id));
      navigate(`/studio/${r.session_id}`);
    } catch (e) {
      if (e instanceof ApiError) setErrors(mapRecipeErrors(e.code, e.message, e.details, fields, values));
      else setErrors({ "": errorText(e) });
      setBusy(null);
    }
  }

  const set = (n: string, v: unknown) => {
    setValues((cur) => ({ ...cur, [n]: v }));
    setErrors(({ [n]: _gone, ...rest }) => rest);
  };
  return (
    <div className="recipe-form" aria-label={`Inputs of ${recipeTitle(recipe)}`}>
      <header>
        <h3 className="recipe-cat">{recipe.category}</h3>
        <h2>{recipe.name}</h2>
        {recipe.description && <p className="muted small">{recipe.description}</p>}
        <span className="muted small mono">
          {recipe.id} · v{recipe.version ?? "1.0.0"}
          {recipe.source && recipe.source !== "bundled" ? ` · ${recipe.source}` : ""}
        </span>
      </header>
      <div className="recipe-fields">
        {fields.map((f) =>
          f.media ? (
            <MediaInputField key={f.name} field={f} value={String(values[f.name] ?? "")} error={errors[f.name]} onChange={(v) => set(f.name, v)} />
          ) : (
            <div key={f.name} className={errors[f.name] ? "has-error" : ""}>
              <ParamField field={f} idPrefix="recipe" value={values[f.name]} onChange={(v) => set(f.name, v)} />
              {errors[f.name] && (
                <p className="field-error" role="alert" aria-label={`${f.label} error`}>
                  {errors[f.name]}
                </p>
              )}
            </div>
          ),
        )}
        {!fields.length && <p className="muted small">This recipe takes no inputs.</p>}
      </div>
      {errors[""] && (
        <p className="field-error" role="alert">
          {errors[""]}
        </p>
      )}
      <ModalActions onCancel={onCancel}>
        <button type="button" className="btn" disabled={!!busy} onClick={() => void submit(false)} aria-label="Open for editing" title="Create the session with these inputs without running it">
          {busy === "open" ? "Opening…" : "Open for editing"}
        </button>
        <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void submit(true)} aria-label="Create and run">
          {busy === "run" ? "Starting…" : "▶ Create and run"}
        </button>
      </ModalActions>
    </div>
  );
}

/** New session: blank, a starter canvas, or a recipe (grouped by category, searchable) with its input form. */
export function NewSessionDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [q, setQ] = useState("");
  const [templates, setTemplates] = useState<Template[]>([]);
  const [recipes, setRecipes] = useState<RecipeSummary[] | null>(null);
  const [choice, setChoice] = useState<Choice>({ kind: "blank" });
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.catalog().then((c) => setTemplates(availableTemplates(new Set(c.nodes.map((n) => n.type)))), () => setTemplates([]));
    api.recipes().then((r) => setRecipes(r.recipes ?? []), () => setRecipes([]));
  }, []);

  const defaultName = choice.kind === "template" ? choice.template.title : choice.kind === "recipe" ? choice.recipe.name : "Untitled session";
  const groups = useMemo(() => groupRecipes(recipes ?? [], q), [recipes, q]);
  const starters = templates.filter((t) => !q || `${t.title} ${t.description}`.toLowerCase().includes(q.toLowerCase()));

  async function createPlain() {
    setBusy(true);
    try {
      const doc = await api.createSession(name.trim() || defaultName, choice.kind === "template" ? choice.template.graph : undefined);
      navigate(`/studio/${doc.id}`);
    } catch (e) {
      toast(errorText(e), "error");
      setBusy(false);
    }
  }

  const pick = (c: Choice) => setChoice(c);
  const selected = keyOf(choice);
  return (
    <Modal title="New session" onClose={onClose} wide>
      <div className="new-session">
        <div className="new-session-list">
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search recipes…" aria-label="Search recipes" />
          <fieldset className="choice-list" aria-label="Start from">
            <ChoiceCard choice={{ kind: "blank" }} title="Blank workflow" desc="An empty canvas. Add nodes from the palette." selected={selected === "blank"} onPick={pick} />
            {starters.length > 0 && <h3>Starters</h3>}
            {starters.map((t) => (
              <ChoiceCard key={t.id} choice={{ kind: "template", template: t }} title={t.title} desc={t.description} tag={`${t.graph.nodes.length} nodes`} selected={selected === `t:${t.id}`} onPick={pick} />
            ))}
            {groups.map(([cat, list]) => (
              <div key={cat} className="choice-group" role="group" aria-label={`${cat} recipes`}>
                <h3>{cat}</h3>
                {list.map((r) => (
                  <ChoiceCard key={r.id} choice={{ kind: "recipe", recipe: r }} title={recipeTitle(r)} desc={r.description || r.name} selected={selected === `r:${r.id}`} onPick={pick} />
                ))}
              </div>
            ))}
            {recipes === null && <span className="muted small">Loading recipes…</span>}
            {recipes !== null && q && !groups.length && !starters.length && <span className="muted small">No recipe matches “{q}”.</span>}
          </fieldset>
        </div>
        <div className="new-session-detail">
          <label className="field">
            <span>Session name</span>
            <input value={name} placeholder={defaultName} onChange={(e) => setName(e.target.value)} maxLength={200} aria-label="Session name" />
          </label>
          {choice.kind === "recipe" ? (
            <RecipeForm key={choice.recipe.id} recipe={choice.recipe} name={name || defaultName} onCancel={onClose} />
          ) : (
            <form
              className="plain-start"
              onSubmit={(e) => {
                e.preventDefault();
                void createPlain();
              }}
            >
              <h2>{choice.kind === "template" ? choice.template.title : "Blank workflow"}</h2>
              <p className="muted small">{choice.kind === "template" ? choice.template.description : "Start from an empty canvas, or pick a recipe on the left to get a prepared workflow from a few inputs."}</p>
              <ModalActions onCancel={onClose}>
                <button type="submit" className="btn btn-primary" disabled={busy} aria-label="Create session">
                  {busy ? "Creating…" : "Create session"}
                </button>
              </ModalActions>
            </form>
          )}
        </div>
      </div>
    </Modal>
  );
}
