import { Modal } from "../components/ui";

export const SHORTCUTS: [string, string][] = [
  ["Ctrl/⌘ + Enter", "Run the workflow"],
  ["Shift + R", "Rerun the selected node"],
  ["Double-click canvas", "Search and add a node"],
  ["Ctrl/⌘ + Z", "Undo"],
  ["Ctrl/⌘ + Shift + Z  ·  Ctrl + Y", "Redo"],
  ["Ctrl/⌘ + C / V", "Copy / paste nodes (also into another session)"],
  ["Ctrl/⌘ + D", "Duplicate selection"],
  ["Ctrl/⌘ + A", "Select all"],
  ["Ctrl/⌘ + G", "Group selection"],
  ["Ctrl/⌘ + B", "Bypass the selected nodes (their inputs pass through)"],
  ["Ctrl/⌘ + M", "Mute the selected nodes (left out of runs)"],
  ["Delete / Backspace", "Delete selection"],
  ["Shift + drag", "Box-select several nodes"],
  ["F", "Fit the workflow in view"],
  ["?", "Show this help"],
  ["Esc", "Close menus and dialogs"],
];

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">Links only join compatible sockets; the color of a socket is its type.</p>
    </Modal>
  );
}
