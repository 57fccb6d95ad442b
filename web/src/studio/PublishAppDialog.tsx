import { useMemo, useState } from "react";
import { ApiError, errorText } from "../lib/api";
import { appsApi, inputTypeFor, VISIBILITIES, type AppInputType, type AppVisibility } from "../lib/appsApi";
import type { FlowNode } from "../lib/graphDoc";
import { navigate } from "../lib/router";
import { pickedOf, type FieldCandidate, type Picked } from "../lib/publishFields";
import { formFields } from "../lib/schemaForm";
import { ModalActions } from "../components/ModalActions";
import { Modal } from "../components/ui";
import { toast } from "../components/toast";
import { isUploadSpec, useStudio } from "./context";
import { PublishFieldPicker } from "./PublishFieldPicker";

interface Candidate extends FieldCandidate {
  field?: string;
  type: AppInputType;
  min?: number;
  max?: number;
}

/** What of the workflow can become an app input (upload nodes: creation inputs; parameters: text, number,
 * select) and which nodes can be returned as outputs. */
function useCandidates(nodes: FlowNode[]) {
  const { catalog } = useStudio();
  return useMemo(() => {
    const inputs: Candidate[] = [];
    const outputs: { nodeId: string; title: string }[] = [];
    for (const n of nodes) {
      const spec = catalog.get(n.data.nodeType);
      if (!spec?.executable) continue;
      const nodeTitle = n.data.title || spec.title;
      if (spec.outputs?.length) outputs.push({ nodeId: n.id, title: nodeTitle });
      if (isUploadSpec(spec)) {
        inputs.push({ key: `${n.id}:media`, nodeId: n.id, nodeTitle, label: "Creation (image URL, base64 or creation id)", type: "creation" });
        continue;
      }
      for (const f of formFields(spec.params_schema)) {
        const type = inputTypeFor(f);
        if (type) inputs.push({ key: `${n.id}:${f.name}`, nodeId: n.id, nodeTitle, label: f.label, field: f.name, type, min: f.min, max: f.max });
      }
    }
    return { inputs, outputs };
  }, [nodes, catalog]);
}

/** Publish this session as an app (Magnific's apps API): inputs with their types and labels, the outputs a
 * run returns, who may use it. */
export function PublishAppDialog({ sessionId, sessionName, nodes, onClose }: { sessionId: string; sessionName: string; nodes: FlowNode[]; onClose: () => void }) {
  const { inputs: candidates, outputs } = useCandidates(nodes);
  const [name, setName] = useState(sessionName);
  const [description, setDescription] = useState("");
  const [visibility, setVisibility] = useState<AppVisibility>("private");
  const [chosen, setChosen] = useState<Picked>({});
  const [returned, setReturned] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const toggleOutput = (nodeId: string) =>
    setReturned((cur) => {
      const next = new Set(cur);
      if (next.has(nodeId)) next.delete(nodeId);
      else next.add(nodeId);
      return next;
    });

  async function publish() {
    const inputs = pickedOf(candidates, chosen).map(([c, pick]) => ({
        node_id: c.nodeId,
        field: c.field ?? null,
        type: c.type,
        label: pick.text.trim() || c.label,
        required: pick.required,
        ...(c.type === "number" ? { min: c.min ?? null, max: c.max ?? null } : {}),
      }));
    const picked = outputs.filter((o) => returned.has(o.nodeId)).map((o) => ({ node_id: o.nodeId }));
    if (!picked.length) return setError("Choose at least one output the app returns.");
    setBusy(true);
    setError(null);
    try {
      const app = await appsApi.publish(sessionId, { name: name.trim() || sessionName, description, visibility, inputs, outputs: picked });
      toast(`Published app “${app.name}” (${app.id})`, "success");
      onClose();
      navigate("/apps");
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : errorText(e));
      setBusy(false);
    }
  }

  return (
    <Modal title="Publish as app" onClose={onClose} wide>
      <form
        className="publish-form"
        onSubmit={(e) => {
          e.preventDefault();
          void publish();
        }}
      >
        <div className="row gap">
          <label className="field grow">
            <span>App name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} aria-label="App name" />
          </label>
          <label className="field">
            <span>Who may use it</span>
            <select value={visibility} onChange={(e) => setVisibility(e.target.value as AppVisibility)} aria-label="App visibility">
              {VISIBILITIES.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="field">
          <span>Description</span>
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} aria-label="App description" placeholder="What it makes, from what" />
        </label>
        <PublishFieldPicker
          legend="Inputs (what a caller sends)"
          ariaLabel="App inputs"
          candidates={candidates}
          picked={chosen}
          onChange={setChosen}
          initial={(c) => ({ text: c.type === "creation" ? c.nodeTitle : c.label, required: true })}
          pickLabel={(c) => `App input from ${c.nodeTitle} ${c.label}`}
          textLabel={(c) => `Label for ${c.nodeTitle} ${c.label}`}
          requiredLabel={(c) => `Required: ${c.nodeTitle} ${c.label}`}
          badge={(c) => <span className="pill">{c.type}</span>}
          textMaxLength={200}
          empty="Add upload nodes or nodes with parameters first."
        />
        <fieldset className="publish-inputs" aria-label="App outputs">
          <legend>Outputs (what a run returns)</legend>
          {outputs.map((o) => (
            <label key={o.nodeId} className="check-row">
              <input type="checkbox" checked={returned.has(o.nodeId)} onChange={() => toggleOutput(o.nodeId)} aria-label={`Return ${o.title}`} />
              <span>{o.title}</span> <span className="muted small mono">{o.nodeId}</span>
            </label>
          ))}
        </fieldset>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <ModalActions onCancel={onClose}>
          <button type="submit" className="btn btn-primary" disabled={busy} aria-label="Publish app">
            {busy ? "Publishing…" : "Publish app"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
