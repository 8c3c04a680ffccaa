import { FlixError } from '../core/errors.js';
import { runningClusterEndpoints } from '../runtime/index.js';
import { type CompactionResult, compactHistory } from '../services/history/compaction.js';
import { HistoryStore } from '../services/history/store.js';

/**
 * `flix history compact`: the history service's scheduled move of old live history into the
 * compressed rows, run now from this process against the cluster's Cassandra. Safe beside the
 * scheduled run and safe to interrupt: a row is always in live or compressed history, or both.
 */
export async function compactHistoryNow(
  cluster: string,
  olderThanSeconds: number,
  onUser: (userId: string, rows: number, step: 'moving' | 'moved') => void,
  signal?: AbortSignal,
): Promise<CompactionResult & { before: string }> {
  const endpoints = await runningClusterEndpoints(cluster);
  if (!endpoints.cassandra) {
    throw new FlixError(`cluster '${cluster}' runs no Cassandra, so it keeps no viewing history`, {
      code: 'invalidConfig',
    });
  }
  const store = await HistoryStore.connect(endpoints.cassandra);
  try {
    const before = new Date(Date.now() - olderThanSeconds * 1000);
    return { ...(await compactHistory(store, before, onUser, signal)), before: before.toISOString() };
  } finally {
    await store.close();
  }
}
