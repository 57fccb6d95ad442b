import { useEffect, useRef } from "react";
import { canvasCommand, isTyping, takesOverKey, type CanvasCommand } from "../canvasHotkeys";

export type HotkeyHandlers = Record<CanvasCommand, () => void>;

/**
 * Window-wide canvas shortcuts (InvokeAI's workflowHotkeys). Ignored while typing in a field or
 * while a dialog is open. Handlers are read at key time, so they may change on every render.
 */
export function useCanvasHotkeys(handlers: HotkeyHandlers, selectedCount: number) {
  const latest = useRef({ handlers, selectedCount });
  latest.current = { handlers, selectedCount };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || document.querySelector(".modal-backdrop")) return;
      const command = canvasCommand(e, latest.current.selectedCount);
      if (!command) return;
      latest.current.handlers[command]();
      if (takesOverKey(command)) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
