/** Undo/redo as a stack of graph snapshots. Snapshots are immutable values owned by the stack. */

export interface HistoryOptions {
  limit?: number;
  /** Pushes with the same coalesce key within this many ms merge into one step (typing in a field). */
  coalesceMs?: number;
}

export class UndoStack<T> {
  private past: T[] = [];
  private future: T[] = [];
  private lastKey: string | null = null;
  private lastAt = 0;
  private readonly limit: number;
  private readonly coalesceMs: number;

  constructor(options: HistoryOptions = {}) {
    this.limit = options.limit ?? 100;
    this.coalesceMs = options.coalesceMs ?? 800;
  }

  /** Records `before` (the state prior to a change). Clears the redo branch. */
  push(before: T, coalesceKey?: string, now: number = Date.now()): void {
    if (coalesceKey && coalesceKey === this.lastKey && now - this.lastAt < this.coalesceMs) {
      this.lastAt = now;
      return;
    }
    this.past.push(before);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
    this.lastKey = coalesceKey ?? null;
    this.lastAt = now;
  }

  /** The state to restore, given the current one; null when there is nothing to undo. */
  undo(current: T): T | null {
    const prev = this.past.pop();
    if (prev === undefined) return null;
    this.future.push(current);
    this.lastKey = null;
    return prev;
  }

  redo(current: T): T | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(current);
    this.lastKey = null;
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  clear(): void {
    this.past = [];
    this.future = [];
    this.lastKey = null;
  }
}
