import type { ReactNode } from "react";
import { ErrorState, LoadingState } from "./ui";

/**
 * The loading → error → empty → content ladder of a list fetched from the server.
 * `items` is null until the first answer arrives; an error wins over stale items.
 */
export function AsyncState<T extends readonly unknown[]>({
  items,
  error,
  onRetry,
  loading,
  empty,
  children,
}: {
  items: T | null;
  error: string | null;
  /** Offered as "Try again" on the error. */
  onRetry?: () => void;
  /** The loading label ("Loading media…"). */
  loading: string;
  /** What to show when the list is empty (usually an `<EmptyState>`). */
  empty: ReactNode;
  children: (items: T) => ReactNode;
}) {
  if (error) return <ErrorState message={error} onRetry={onRetry} />;
  if (items === null) return <LoadingState label={loading} />;
  if (items.length === 0) return <>{empty}</>;
  return <>{children(items)}</>;
}
