import { useCallback, useEffect, useRef } from "react";
import { saveBlob } from "../../lib/api";
import { flowToDoc } from "../../lib/graphDoc";
import { WORKFLOW_MAX_BYTES, looksLikeWorkflow, readWorkflow, workflowFile, workflowFileName } from "../../lib/workflowFile";
import type { Graph, NodeSpec } from "../../lib/types";
import { toast } from "../../components/toast";
import { isTyping } from "../canvasHotkeys";
import type { GraphState } from "./useGraphHistory";

/**
 * Export the workflow as a JSON file, import one (added to the canvas, undoable), and paste workflow
 * JSON from the system clipboard onto the canvas. Whatever is read is checked first (lib/workflowFile.ts)
 * and refused with the reason; the server checks the saved graph again.
 */
export function useWorkflowFile(opts: {
  name: string;
  catalog: Map<string, NodeSpec>;
  graph: GraphState;
  canEdit: boolean;
  insert: (g: Graph) => number;
  pasteNodes: () => void;
}) {
  const { name, catalog, graph, canEdit, insert, pasteNodes } = opts;
  const latest = useRef({ insert, pasteNodes, canEdit });
  latest.current = { insert, pasteNodes, canEdit };

  const exportWorkflow = useCallback(() => {
    const doc = flowToDoc(graph.nodesRef.current, graph.edgesRef.current);
    const blob = new Blob([JSON.stringify(workflowFile(name, doc), null, 2)], { type: "application/json" });
    saveBlob(blob, workflowFileName(name));
    toast(`Exported ${doc.nodes.length} node(s) as ${workflowFileName(name)}`, "success");
  }, [graph, name]);

  /** Checks the text and adds the workflow; says why when it is refused. */
  const importText = useCallback(
    (text: string, from: string) => {
      const read = readWorkflow(text, (t) => catalog.has(t));
      if (!read.ok) {
        toast(`${from} was not imported: ${read.reason}`, "error");
        return;
      }
      const added = latest.current.insert(read.graph);
      toast(added ? `Imported ${added} node(s)${read.name ? ` from “${read.name}”` : ""}` : `${from} was not imported: nothing in it can be placed.`, added ? "success" : "error");
    },
    [catalog],
  );

  const importWorkflow = useCallback(() => {
    const input = document.createElement("input");
    input.type = "file";
    input.accept = ".json,application/json";
    input.setAttribute("aria-label", "Workflow file");
    input.style.display = "none";
    input.onchange = () => {
      const file = input.files?.[0];
      input.remove();
      if (!file) return;
      if (file.size > WORKFLOW_MAX_BYTES) {
        toast(`${file.name} was not imported: it is larger than ${WORKFLOW_MAX_BYTES / 1_000_000} MB.`, "error");
        return;
      }
      file.text().then((t) => importText(t, file.name), () => toast(`${file.name} could not be read.`, "error"));
    };
    document.body.appendChild(input);
    input.click();
  }, [importText]);

  // Ctrl+V: the paste event carries the system clipboard; workflow JSON is imported, anything else
  // pastes the node clipboard (after the event, or on its own when the browser sends none).
  const pending = useRef<number | undefined>(undefined);
  const onPasteKey = useCallback(() => {
    window.clearTimeout(pending.current);
    pending.current = window.setTimeout(() => latest.current.pasteNodes(), 0);
  }, []);
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      if (isTyping(e.target) || document.querySelector(".modal-backdrop") || !latest.current.canEdit) return;
      const text = e.clipboardData?.getData("text/plain") ?? "";
      if (!looksLikeWorkflow(text)) return;
      window.clearTimeout(pending.current);
      e.preventDefault();
      importText(text, "The pasted workflow");
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }, [importText]);

  return { exportWorkflow, importWorkflow, onPasteKey };
}
