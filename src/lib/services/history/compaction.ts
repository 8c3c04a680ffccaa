import type { HistoryStore } from './store.js';

export interface CompactionResult {
  users: number;
  rows: number;
  seconds: number;
}

/**
 * Moves every live row older than `before` into its user's compressed row, one user at a time
 * (`onUser` before and after each). Safe to cut short at any point and to run again: see HistoryStore.
 */
export async function compactHistory(
  store: HistoryStore,
  before: Date,
  onUser: (userId: string, rows: number, step: 'moving' | 'moved') => void = () => {},
  signal?: AbortSignal,
): Promise<CompactionResult> {
  const started = performance.now();
  let users = 0;
  let rows = 0;
  for await (const u of store.usersWithOldRows(before)) {
    if (signal?.aborted) break;
    onUser(u.userId, u.rows.length, 'moving');
    await store.moveToCompressed(u.userId, u.rows);
    users++;
    rows += u.rows.length;
    onUser(u.userId, u.rows.length, 'moved');
  }
  return { users, rows, seconds: (performance.now() - started) / 1000 };
}
