import { ApiError } from "../lib/api";

/** The workflow problems a refused run names (GRAPH_INVALID's `details.errors[].message`), empty for any other error. */
export function runProblems(e: unknown): string[] {
  const list = e instanceof ApiError ? ((e.details as { errors?: { message: string }[] } | undefined)?.errors ?? []) : [];
  return list.map((p) => p.message);
}
