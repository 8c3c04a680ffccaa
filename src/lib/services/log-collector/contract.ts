import { type LogLevel, type LogRecord, severityOf } from '../log-agent/contract.js';

/**
 * What `flix logs` asks for, and how the same question is put to the index (a search) and to the
 * live stream (a filter over each record as it arrives), so both answer alike.
 */
export interface LogFilter {
  /** a component (`gateway-a-1`) or every instance of a service or engine (`gateway`, `edge`) */
  component?: string;
  zone?: string;
  /** this level and above */
  level?: LogLevel;
  userId?: string;
  traceId?: string;
  /** records at or after this time, epoch ms */
  since?: number;
  /** words the message contains */
  grep?: string;
}

/** The daily index a record goes to (UTC days). */
export const logIndexOf = (time: string): string => `flix-logs-${time.slice(0, 10).replaceAll('-', '.')}`;
export const LOG_INDEX_PATTERN = 'flix-logs-*';

/** The explicit mapping of the log indices: every shared field typed, the rest one flattened field. */
export const logIndexTemplate = {
  name: 'flix-logs',
  index_patterns: [LOG_INDEX_PATTERN],
  template: {
    settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
    mappings: {
      dynamic: 'strict' as const,
      properties: {
        time: { type: 'date' as const },
        component: { type: 'keyword' as const },
        service: { type: 'keyword' as const },
        zone: { type: 'keyword' as const },
        source: { type: 'keyword' as const },
        offset: { type: 'long' as const },
        level: { type: 'keyword' as const },
        severity: { type: 'byte' as const },
        msg: { type: 'text' as const },
        traceId: { type: 'keyword' as const },
        userId: { type: 'keyword' as const },
        fields: { type: 'flattened' as const, ignore_above: 1024 },
      },
    },
  },
};

/** A record as the index stores it (the id is the document's `_id`). */
export function logDocument(r: LogRecord): Record<string, unknown> {
  const { id: _id, ...doc } = r;
  return { ...doc, severity: severityOf(r.level) };
}

/** The Elasticsearch query of a filter. */
export function logQuery(f: LogFilter): Record<string, unknown> {
  const filter: Record<string, unknown>[] = [];
  if (f.component)
    filter.push({
      bool: { should: [{ term: { component: f.component } }, { term: { service: f.component } }] },
    });
  if (f.zone) filter.push({ term: { zone: f.zone } });
  if (f.level) filter.push({ range: { severity: { gte: severityOf(f.level) } } });
  if (f.userId) filter.push({ term: { userId: f.userId } });
  if (f.traceId) filter.push({ term: { traceId: f.traceId } });
  if (f.since !== undefined) filter.push({ range: { time: { gte: new Date(f.since).toISOString() } } });
  const must = f.grep ? [{ match: { msg: { query: f.grep, operator: 'and' } } }] : [];
  return { bool: { filter, must } };
}

/** The same filter over one record of the live stream. */
export function matchesFilter(r: LogRecord, f: LogFilter): boolean {
  if (f.component && r.component !== f.component && r.service !== f.component) return false;
  if (f.zone && r.zone !== f.zone) return false;
  if (f.level && severityOf(r.level) < severityOf(f.level)) return false;
  if (f.userId && r.userId !== f.userId) return false;
  if (f.traceId && r.traceId !== f.traceId) return false;
  if (f.since !== undefined && Date.parse(r.time) < f.since) return false;
  if (f.grep) {
    const text = r.msg.toLowerCase();
    if (
      !f.grep
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean)
        .every((w) => text.includes(w))
    )
      return false;
  }
  return true;
}
