import type { LogRecord } from '../../services/log-agent/contract.js';

const levelTags: Record<string, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
};

/** Fields worth a glance on a request's line; the rest are in --json. */
const shown = ['method', 'path', 'status', 'ms', 'error', 'titleId', 'stage'];

/** One record as a line: local time, component, level, message, then user, trace and a few fields. */
export function renderLogLine(r: LogRecord): string {
  const d = new Date(r.time);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const time = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const extra: string[] = [];
  for (const k of shown) {
    const v = r.fields?.[k];
    if (v === undefined || v === null || (k === 'method' && r.msg !== 'request')) continue;
    const text = typeof v === 'string' ? v.split('\n')[0] : JSON.stringify(v);
    extra.push(`${k}=${text}`);
  }
  if (r.userId) extra.push(`user=${r.userId}`);
  if (r.traceId) extra.push(`trace=${r.traceId}`);
  return `${time}  ${r.component.padEnd(16)} ${levelTags[r.level] ?? r.level}  ${r.msg}${extra.length ? `  ${extra.join(' ')}` : ''}`;
}

export function renderLogSearch(records: readonly LogRecord[], total: number): string {
  if (records.length === 0)
    return 'no log records match (the newest lines take a few seconds to be searchable)';
  const lines = records.map(renderLogLine);
  if (total > records.length)
    lines.push(`(${records.length} newest of ${total} matching records; --limit shows more, --since fewer)`);
  return lines.join('\n');
}
