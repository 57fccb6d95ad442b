import { useStudio } from "./context";

/** The "⋯" button in a node's header: opens the node's context menu under itself. */
export function NodeMenuButton({ id, title }: { id: string; title: string }) {
  const { actions } = useStudio();
  return (
    <button
      className="icon-btn node-menu-btn nodrag"
      aria-label={`Actions for ${title}`}
      onClick={(e) => {
        const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
        actions.openMenu(id, r.left, r.bottom + 4);
      }}
    >
      ⋯
    </button>
  );
}
