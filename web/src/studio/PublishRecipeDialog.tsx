import { useMemo, useState } from "react";
import { ApiError, api, errorText } from "../lib/api";
import type { FlowNode } from "../lib/graphDoc";
import { inputNameFrom, recipeIdFrom } from "../lib/recipeForm";
import { pickedOf, type FieldCandidate, type Picked } from "../lib/publishFields";
import { formFields } from "../lib/schemaForm";
import { ModalActions } from "../components/ModalActions";
import { Modal } from "../components/ui";
import { toast } from "../components/toast";
import { isUploadSpec, uploadKind, useStudio } from "./context";
import { PublishFieldPicker } from "./PublishFieldPicker";

interface Candidate extends FieldCandidate {
  field?: string;
  media?: string;
  suggested: string;
}

/** Every node field (and upload node) of the workflow that could become a recipe input. */
function useCandidates(nodes: FlowNode[]): Candidate[] {
  const { catalog } = useStudio();
  return useMemo(() => {
    const out: Candidate[] = [];
    for (const n of nodes) {
      const spec = catalog.get(n.data.nodeType);
      if (!spec?.executable) continue;
      const nodeTitle = n.data.title || spec.title;
      if (isUploadSpec(spec)) {
        const kind = uploadKind(spec) ?? "image";
        out.push({ key: `${n.id}:media`, nodeId: n.id, nodeTitle, label: `${kind} (URL or gallery media)`, media: kind, suggested: `${nodeTitle}_${kind}_url` });
        continue;
      }
      for (const f of formFields(spec.params_schema)) {
        if (f.kind === "media" || f.kind === "json" || f.kind === "loop-table") continue;
        out.push({ key: `${n.id}:${f.name}`, nodeId: n.id, nodeTitle, label: f.label, field: f.name, suggested: f.name });
      }
    }
    return out;
  }, [nodes, catalog]);
}

/** Publish this session as a recipe: pick which node fields become inputs, name it, POST publish-recipe. */
export function PublishRecipeDialog({ sessionId, sessionName, nodes, onClose }: { sessionId: string; sessionName: string; nodes: FlowNode[]; onClose: () => void }) {
  const candidates = useCandidates(nodes);
  const [name, setName] = useState(sessionName);
  const [id, setId] = useState(recipeIdFrom(sessionName));
  const [description, setDescription] = useState("");
  const [chosen, setChosen] = useState<Picked>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function publish() {
    const inputs = pickedOf(candidates, chosen).map(([c, pick]) => ({ name: pick.text, node_id: c.nodeId, ...(c.media ? { media: c.media } : { field: c.field }), required: pick.required }));
    if (!inputs.length) return setError("Choose at least one field to become an input.");
    setBusy(true);
    setError(null);
    try {
      const r = await api.publishRecipe(sessionId, { id, name: name.trim() || id, description, inputs });
      toast(`Published recipe “${r.name ?? name}” (${r.id ?? id})`, "success");
      onClose();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : errorText(e));
      setBusy(false);
    }
  }

  return (
    <Modal title="Publish as recipe" onClose={onClose} wide>
      <form
        className="publish-form"
        onSubmit={(e) => {
          e.preventDefault();
          void publish();
        }}
      >
        <div className="row gap">
          <label className="field grow">
            <span>Recipe name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} aria-label="Recipe name" />
          </label>
          <label className="field">
            <span>Id</span>
            <input className="mono" value={id} onChange={(e) => setId(e.target.value)} pattern="[a-z0-9][a-z0-9_\-]{1,99}" aria-label="Recipe id" />
          </label>
        </div>
        <label className="field">
          <span>Description</span>
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} aria-label="Recipe description" placeholder="What it makes, from what" />
        </label>
        <PublishFieldPicker
          legend="Which fields become inputs?"
          ariaLabel="Recipe inputs"
          candidates={candidates}
          picked={chosen}
          onChange={setChosen}
          initial={(c, cur) => ({ text: inputNameFrom(c.suggested, new Set(Object.values(cur).map((v) => v.text))), required: !!c.media })}
          pickLabel={(c) => `Input from ${c.nodeTitle} ${c.label}`}
          textLabel={(c) => `Input name for ${c.nodeTitle} ${c.label}`}
          textClassName="mono publish-name"
          empty="Add nodes with parameters first."
        />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <ModalActions onCancel={onClose}>
          <button type="submit" className="btn btn-primary" disabled={busy} aria-label="Publish recipe">
            {busy ? "Publishing…" : "Publish recipe"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
