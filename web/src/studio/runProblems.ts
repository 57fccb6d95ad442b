import { ApiError } from "../lib/api";

// Known mismatch, kept while the canvas was split (behaviour unchanged): the v2 door answers GRAPH_INVALID
// with `details.errors`, not `details.problems`, so today this list is empty and the banner stays hidden.

/** The workflow problems a refused run names (`details.problems[].message`), empty for any other error. */
export function runProblems(e: unknown): string[] {
  const list = e instanceof ApiError ? ((e.details as { problems?: { message: string }[] } | undefined)?.problems ?? []) : [];
  return list.map((p) => p.message);
}
