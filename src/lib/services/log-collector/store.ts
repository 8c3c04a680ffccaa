import type { Client } from '@elastic/elasticsearch';
import type { LogRecord } from '../log-agent/contract.js';
import {
  LOG_INDEX_PATTERN,
  type LogFilter,
  logDocument,
  logIndexOf,
  logIndexTemplate,
  logQuery,
} from './contract.js';

/**
 * The log collector's storage in Elasticsearch: a daily index per UTC day under one index
 * template, each record under its id (a record sent twice is stored once), and a retention job
 * that drops the indices of days older than the cluster keeps.
 */
export async function ensureLogTemplate(es: Client): Promise<void> {
  await es.indices.putIndexTemplate(logIndexTemplate);
}

/** Indexes records; throws unless every one was stored (the batch is then sent again). */
export async function indexLogs(es: Client, records: readonly LogRecord[]): Promise<void> {
  if (records.length === 0) return;
  const operations = records.flatMap((r) => [
    { index: { _index: logIndexOf(r.time), _id: r.id } },
    logDocument(r),
  ]);
  const answer = await es.bulk({ operations });
  if (!answer.errors) return;
  const failed = answer.items.map((i) => i.index).filter((i) => i?.error);
  // a record the mapping refuses would be refused forever: it is dropped, not retried
  const transient = failed.filter((i) => (i?.status ?? 500) >= 429);
  if (transient.length > 0)
    throw new Error(
      `${transient.length} of ${records.length} log records not indexed: ${transient[0]?.error?.reason ?? 'unknown'}`,
    );
}

export interface LogSearch extends LogFilter {
  /** most records returned: the newest ones, in time order */
  limit: number;
}

/** The newest `limit` records that match, oldest first. */
export async function searchLogs(es: Client, q: LogSearch): Promise<{ records: LogRecord[]; total: number }> {
  const answer = await es.search<Record<string, unknown>>({
    index: LOG_INDEX_PATTERN,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: logQuery(q),
    sort: [{ time: 'desc' }, { component: 'desc' }, { offset: 'desc' }],
    size: q.limit,
    track_total_hits: true,
  });
  const records = answer.hits.hits.map((h) => {
    const { severity: _s, ...doc } = h._source ?? {};
    return { id: h._id, ...doc } as LogRecord;
  });
  const total = answer.hits.total;
  return { records: records.reverse(), total: typeof total === 'number' ? total : (total?.value ?? 0) };
}

/** Drops the daily indices older than `days`; returns their names. */
export async function dropOldLogIndices(es: Client, days: number, now = Date.now()): Promise<string[]> {
  const cut = logIndexOf(new Date(now - days * 86_400_000).toISOString());
  const indices = await es.cat.indices({ index: LOG_INDEX_PATTERN, format: 'json', h: 'index' });
  const old = indices.map((i) => String(i.index)).filter((name) => name < cut);
  if (old.length > 0) await es.indices.delete({ index: old.join(',') });
  return old;
}
