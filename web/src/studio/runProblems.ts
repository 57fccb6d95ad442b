import { ApiError } from "../lib/api";

/** The workflow problems a refused run names (`details.problems[].message`), empty for any other error. */
export function runProblems(e: unknown): string[] {
  const list = e instanceof ApiError ? ((e.details as { problems?: { message: string }[] } | undefined)?.problems ?? []) : [];
  return list.map((p) => p.message);
}
