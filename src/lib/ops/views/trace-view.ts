import { traceDurationUs, type ZipkinSpan } from '../../engines/zipkin/spans.js';

/** One line of the waterfall: a span in its place in the call tree. */
export interface TraceRow {
  depth: number;
  service: string;
  name: string;
  kind?: string;
  /** µs after the trace's first span began */
  startUs: number;
  durationUs: number;
  /** the span that spent the most time itself (not in the spans under it): the slow hop */
  slowest: boolean;
  error?: string;
  /** what a client span called: the database or broker, when the span says */
  remote?: string;
}

export interface TraceSummary {
  traceId: string;
  durationUs: number;
  services: string[];
  spans: number;
  root: { service: string; name: string };
  error: boolean;
  /** epoch ms of the first span */
  startMs: number;
}

const serviceOf = (s: ZipkinSpan) => s.localEndpoint?.serviceName ?? '?';
const remoteOf = (s: ZipkinSpan) =>
  s.remoteEndpoint?.serviceName ??
  s.tags?.['db.system.name'] ??
  s.tags?.['db.system'] ??
  s.tags?.['messaging.system'] ??
  undefined;

function errorOf(s: ZipkinSpan): string | undefined {
  if (s.tags?.error) return s.tags.error;
  const status = Number(s.tags?.['http.response.status_code'] ?? s.tags?.['http.status_code'] ?? 0);
  return status >= 500 ? `HTTP ${status}` : undefined;
}

/** The length of the union of intervals (µs): children that overlap count once. */
function covered(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [s, e] of sorted) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

/**
 * The spans as a call tree, depth first, siblings in start order. A span whose parent is not in
 * the trace (lost, or not sampled there) is a root; a server span that shares its id with the
 * client span that called it (B3's one span per call) goes under that client span.
 */
export function traceRows(spans: readonly ZipkinSpan[]): TraceRow[] {
  if (spans.length === 0) return [];
  const t0 = Math.min(...spans.map((s) => s.timestamp ?? Number.POSITIVE_INFINITY));
  const start = Number.isFinite(t0) ? t0 : 0;
  // a key per span that stays unique when a server span shares its client's id
  const keyOf = (s: ZipkinSpan) =>
    s.shared || (s.kind === 'SERVER' && clientIds.has(s.id)) ? `${s.id}/server` : s.id;
  const clientIds = new Set(spans.filter((s) => s.kind !== 'SERVER').map((s) => s.id));
  const byKey = new Map(spans.map((s) => [keyOf(s), s]));
  const parentKeyOf = (s: ZipkinSpan): string | null => {
    const k = keyOf(s);
    if (k.endsWith('/server')) return s.id;
    return s.parentId && byKey.has(s.parentId) ? s.parentId : null;
  };
  const children = new Map<string | null, ZipkinSpan[]>();
  for (const s of spans) {
    const p = parentKeyOf(s);
    children.set(p, [...(children.get(p) ?? []), s]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));

  const rows: TraceRow[] = [];
  const selfTime = new Map<TraceRow, number>();
  const walk = (s: ZipkinSpan, depth: number) => {
    const startUs = (s.timestamp ?? start) - start;
    const durationUs = s.duration ?? 0;
    const row: TraceRow = {
      depth,
      service: serviceOf(s),
      name: s.name ?? '',
      startUs,
      durationUs,
      slowest: false,
    };
    if (s.kind) row.kind = s.kind;
    const error = errorOf(s);
    if (error) row.error = error;
    const remote = s.kind === 'SERVER' ? undefined : remoteOf(s);
    if (remote) row.remote = remote;
    rows.push(row);
    const kids = children.get(keyOf(s)) ?? [];
    const inKids = covered(
      kids.map((k) => [(k.timestamp ?? start) - start, (k.timestamp ?? start) - start + (k.duration ?? 0)]),
    );
    selfTime.set(row, Math.max(0, durationUs - inKids));
    for (const k of kids) walk(k, depth + 1);
  };
  for (const root of children.get(null) ?? []) walk(root, 0);
  let slowest: TraceRow | null = null;
  for (const [row, t] of selfTime) if (!slowest || t > (selfTime.get(slowest) ?? 0)) slowest = row;
  if (slowest) slowest.slowest = true;
  return rows;
}

export function traceSummary(spans: readonly ZipkinSpan[]): TraceSummary {
  const starts = spans.map((s) => s.timestamp).filter((t): t is number => t !== undefined);
  const first = starts.length ? Math.min(...starts) : 0;
  const rows = traceRows(spans);
  const root = rows[0];
  return {
    traceId: spans[0]?.traceId ?? '',
    durationUs: traceDurationUs(spans),
    services: [...new Set(spans.map(serviceOf))].sort(),
    spans: spans.length,
    root: { service: root?.service ?? '?', name: root?.name ?? '' },
    error: rows.some((r) => r.error !== undefined),
    startMs: Math.round(first / 1000),
  };
}

const ms = (us: number) => `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;

/** Cuts text to `width` columns (one per code point; names are not expected to hold wide glyphs). */
function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * The waterfall of one trace in `width` columns: a header, then per span its service and name
 * (indented by depth), start offset, duration and a bar on the trace's timeline; the slowest hop
 * and errors marked.
 */
export function renderTraceWaterfall(spans: readonly ZipkinSpan[], width = 80): string {
  if (spans.length === 0) return 'the trace has no spans';
  const s = traceSummary(spans);
  const rows = traceRows(spans);
  const lines = [
    fit(
      `trace ${s.traceId}  ${ms(s.durationUs)}  ${s.services.length} services, ${s.spans} spans${s.error ? '  (errors)' : ''}`,
      width,
    ).trimEnd(),
  ];
  const w = Math.max(40, width);
  const label = Math.min(44, Math.floor(w * 0.45));
  const numbers = 18; // "+123.4ms 1234.5ms "
  const mark = 2;
  const bar = Math.max(4, w - label - numbers - mark - 2);
  const total = Math.max(1, s.durationUs);
  for (const r of rows) {
    const what = `${'  '.repeat(Math.min(r.depth, 8))}${r.service} ${r.name}${r.remote ? ` → ${r.remote}` : ''}`;
    const from = Math.min(bar - 1, Math.floor((r.startUs / total) * bar));
    const len = Math.max(1, Math.min(bar - from, Math.round((r.durationUs / total) * bar)));
    const drawn = `${' '.repeat(from)}${'█'.repeat(len)}`.padEnd(bar);
    const flag = r.error ? '!' : r.slowest ? '◀' : ' ';
    const nums = `${`+${ms(r.startUs)}`.padStart(9)} ${ms(r.durationUs).padStart(8)}`;
    lines.push(`${fit(what, label)} ${nums} ${drawn} ${flag}`.trimEnd());
  }
  const slow = rows.find((r) => r.slowest);
  if (slow) lines.push(fit(`◀ slowest hop: ${slow.service} ${slow.name}`, width).trimEnd());
  if (rows.some((r) => r.error))
    lines.push('! a span that failed (its error tag or an HTTP status of 500 or more)');
  return lines.join('\n');
}

/** `flix trace --slowest N`: one line per trace, slowest first. */
export function renderSlowestTraces(traces: readonly ZipkinSpan[][], n: number): string {
  if (traces.length === 0) return 'no traces in that window; `flix play` makes one';
  const summaries = traces
    .map(traceSummary)
    .sort((a, b) => b.durationUs - a.durationUs)
    .slice(0, n);
  const pad = (x: number) => String(x).padStart(2, '0');
  const when = (t: number) => {
    const d = new Date(t);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  const lines = ['TRACE                             DURATION  SPANS  SERVICES  AT        ROOT'];
  for (const s of summaries)
    lines.push(
      `${s.traceId.padEnd(33)} ${ms(s.durationUs).padStart(8)}  ${String(s.spans).padStart(5)}  ${String(s.services.length).padStart(8)}  ${when(s.startMs)}  ${s.root.service} ${s.root.name}${s.error ? '  (errors)' : ''}`,
    );
  return lines.join('\n');
}
