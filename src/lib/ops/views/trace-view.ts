import { columns, cut, padTo } from '../../core/columns.js';
import { renderTable } from '../../core/table.js';
import { traceDurationUs, type ZipkinSpan } from '../../engines/zipkin/spans.js';
import { terminalSafe } from './engage-view.js';

/** One line of the waterfall: a span in its place in the call tree. */
export interface TraceRow {
  depth: number;
  service: string;
  name: string;
  kind?: string;
  /** µs after the trace's first span began */
  startUs: number;
  durationUs: number;
  /** µs the span spent itself, not in the spans under it */
  selfUs: number;
  /** the span with the most time of its own: the slow hop */
  slowest: boolean;
  error?: string;
  /** what a client span called: the database or broker, when the span says */
  remote?: string;
}

export interface TraceSummary {
  traceId: string;
  /** first span's start to last span's end */
  durationUs: number;
  /** the services that reported spans (local endpoints), sorted */
  services: string[];
  spans: number;
  root: { service: string; name: string };
  error: boolean;
  /** epoch ms of the first span */
  startMs: number;
}

interface SpanNode {
  span: ZipkinSpan;
  children: SpanNode[];
}

const serviceOf = (s: ZipkinSpan) => s.localEndpoint?.serviceName || '?';

function remoteOf(s: ZipkinSpan): string | undefined {
  // a server's remote endpoint is its caller, already the row above it
  if (s.kind === 'SERVER') return undefined;
  return (
    s.remoteEndpoint?.serviceName ||
    s.tags?.['db.system.name'] ||
    s.tags?.['db.system'] ||
    s.tags?.['messaging.system'] ||
    undefined
  );
}

function errorOf(s: ZipkinSpan): string | undefined {
  // Zipkin's convention: the error tag's presence is the failure, its value (maybe empty) the message
  if (s.tags && 'error' in s.tags) return s.tags.error || 'error';
  const status = Number(s.tags?.['http.response.status_code'] ?? s.tags?.['http.status_code'] ?? 0);
  return status >= 500 ? `HTTP ${status}` : undefined;
}

/** Fragments of one span (reported in pieces, or twice) as one: the first value of each field wins. */
function merged(a: ZipkinSpan, b: ZipkinSpan): ZipkinSpan {
  const known = (s: ZipkinSpan) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
  const m: ZipkinSpan = { ...known(b), ...known(a), traceId: a.traceId, id: a.id };
  if (a.tags || b.tags) m.tags = { ...b.tags, ...a.tags };
  if (a.annotations || b.annotations) m.annotations = [...(a.annotations ?? []), ...(b.annotations ?? [])];
  return m;
}

const byStart = (a: SpanNode, b: SpanNode) =>
  (a.span.timestamp ?? Number.POSITIVE_INFINITY) - (b.span.timestamp ?? Number.POSITIVE_INFINITY) || 0;

/**
 * The call tree, the way Zipkin's own SpanNode builds it: a server span that shares its id with a
 * client span (B3, one span per RPC; flagged `shared`, or a SERVER beside a CLIENT of the same id)
 * goes under that client, and a span whose parent id is a shared id goes under the server side when
 * it ran on the server's service. Spans whose parent is not in the trace (lost, or not sampled
 * there) are roots; a parent cycle, which only broken reporters make, is cut rather than followed.
 */
function spanTree(spans: readonly ZipkinSpan[]): SpanNode[] {
  const plainIds = new Set(spans.filter((s) => s.kind !== 'SERVER' && !s.shared).map((s) => s.id));
  const isShared = (s: ZipkinSpan) => s.shared === true || (s.kind === 'SERVER' && plainIds.has(s.id));
  const sharedKey = (id: string, service: string) => `${id}\u0000shared\u0000${service}`;
  const keyOf = (s: ZipkinSpan) => (isShared(s) ? sharedKey(s.id, serviceOf(s)) : s.id);

  const nodes = new Map<string, SpanNode>();
  for (const s of spans) {
    const k = keyOf(s);
    const seen = nodes.get(k);
    nodes.set(k, { span: seen ? merged(seen.span, s) : s, children: [] });
  }
  const sharedById = new Map<string, SpanNode[]>();
  for (const n of nodes.values())
    if (isShared(n.span)) sharedById.set(n.span.id, [...(sharedById.get(n.span.id) ?? []), n]);

  const parentOf = (n: SpanNode): SpanNode | undefined => {
    const s = n.span;
    if (isShared(s)) {
      const client = nodes.get(s.id);
      if (client) return client;
    }
    if (!s.parentId) return undefined;
    return (
      nodes.get(sharedKey(s.parentId, serviceOf(s))) ??
      nodes.get(s.parentId) ??
      sharedById.get(s.parentId)?.[0]
    );
  };

  const roots: SpanNode[] = [];
  for (const n of nodes.values()) {
    const p = parentOf(n);
    if (p && p !== n) p.children.push(n);
    else roots.push(n);
  }
  for (const n of nodes.values()) n.children.sort(byStart);
  roots.sort(byStart);

  // spans in a parent cycle are reachable from no root: the earliest of each cycle becomes one
  const reached = new Set<SpanNode>();
  const reach = (n: SpanNode) => {
    if (reached.has(n)) return;
    reached.add(n);
    for (const c of n.children) reach(c);
  };
  for (const r of roots) reach(r);
  for (const n of [...nodes.values()].sort(byStart))
    if (!reached.has(n)) {
      roots.push(n);
      reach(n);
    }
  return roots;
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

function earliest(spans: readonly ZipkinSpan[]): number | undefined {
  let first: number | undefined;
  for (const s of spans)
    if (s.timestamp !== undefined && (first === undefined || s.timestamp < first)) first = s.timestamp;
  return first;
}

function layout(spans: readonly ZipkinSpan[]): { rows: TraceRow[]; roots: SpanNode[] } {
  const roots = spanTree(spans);
  const t0 = earliest(spans) ?? 0;
  const rows: TraceRow[] = [];
  const seen = new Set<SpanNode>();
  const walk = (n: SpanNode, depth: number, parentStart: number) => {
    if (seen.has(n)) return;
    seen.add(n);
    const s = n.span;
    // a span without a timestamp is drawn where its parent starts
    const startUs = s.timestamp === undefined ? parentStart : s.timestamp - t0;
    const durationUs = Math.max(0, s.duration ?? 0);
    const inChildren = covered(
      n.children
        .filter((c) => c.span.timestamp !== undefined)
        .map((c): [number, number] => {
          const from = (c.span.timestamp ?? 0) - t0;
          const to = from + Math.max(0, c.span.duration ?? 0);
          return [Math.max(from, startUs), Math.min(to, startUs + durationUs)];
        })
        .filter(([from, to]) => to > from),
    );
    const row: TraceRow = {
      depth,
      service: serviceOf(s),
      name: s.name ?? '',
      startUs,
      durationUs,
      selfUs: Math.max(0, durationUs - inChildren),
      slowest: false,
    };
    if (s.kind) row.kind = s.kind;
    const error = errorOf(s);
    if (error !== undefined) row.error = error;
    const remote = remoteOf(s);
    if (remote) row.remote = remote;
    rows.push(row);
    for (const c of n.children) walk(c, depth + 1, startUs);
  };
  for (const r of roots) walk(r, 0, 0);
  let slowest: TraceRow | undefined;
  for (const r of rows) if (r.selfUs > (slowest?.selfUs ?? 0)) slowest = r;
  if (slowest) slowest.slowest = true;
  return { rows, roots };
}

/**
 * The spans as the rows of a waterfall: depth first, siblings in start order, offsets from the
 * trace's first span, and the one span with the most self time marked, because the longest span is
 * usually just the root and says nothing about where the time went. No span is marked when none
 * spent any time of its own.
 */
export function traceRows(spans: readonly ZipkinSpan[]): TraceRow[] {
  return layout(spans).rows;
}

/** What the waterfall's header, the slowest-traces table and `--json` all say about one trace. */
export function traceSummary(spans: readonly ZipkinSpan[]): TraceSummary {
  const { rows, roots } = layout(spans);
  const root = (roots.find((r) => !r.span.parentId) ?? roots[0])?.span;
  // a trace mixing 64- and 128-bit ids (an old reporter) is best named by its full id
  const traceId = spans.reduce((id, s) => (s.traceId.length > id.length ? s.traceId : id), '');
  const first = earliest(spans);
  return {
    traceId,
    durationUs: traceDurationUs(spans),
    services: [
      ...new Set(spans.map((s) => s.localEndpoint?.serviceName).filter((n): n is string => !!n)),
    ].sort(),
    spans: rows.length,
    root: { service: root ? serviceOf(root) : '?', name: root?.name ?? '' },
    error: rows.some((r) => r.error !== undefined),
    startMs: first === undefined ? 0 : Math.floor(first / 1000),
  };
}

const ms = (us: number) => `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Names come from whatever reported the span: escaped so a newline or bidi override cannot reshape a line. */
const oneLine = (text: string) =>
  terminalSafe(text).replace(/[\n\u2028\u2029]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);

/**
 * One trace as a waterfall in `width` columns, so the slow hop of a request can be found from the
 * terminal: a header, then per span its service and name (indented by depth), start offset,
 * duration and a bar on the trace's timeline, the slowest hop and failed spans marked and named
 * underneath.
 */
export function renderTraceWaterfall(spans: readonly ZipkinSpan[], width = 80): string {
  if (spans.length === 0) return 'the trace has no spans';
  const s = traceSummary(spans);
  const rows = traceRows(spans);
  const lines = [
    `trace ${oneLine(s.traceId)}  ${ms(s.durationUs)}  ${plural(s.services.length, 'service')}, ${plural(s.spans, 'span')}${s.error ? '  ✗ errors' : ''}`,
  ];

  const starts = rows.map((r) => `+${ms(r.startUs)}`);
  const durations = rows.map((r) => ms(r.durationUs));
  const startW = Math.max(...starts.map((x) => x.length));
  const durW = Math.max(...durations.map((x) => x.length));
  const labels = rows.map(
    (r) => `${oneLine(r.service)}  ${oneLine(r.name)}${r.remote ? ` → ${oneLine(r.remote)}` : ''}`,
  );
  const labelNeed = Math.max(...rows.map((r, i) => 2 * r.depth + columns(labels[i] ?? '')));
  // spelled-out marks while the names still fit beside them, else bare glyphs; the lines under
  // the waterfall say what each glyph marks
  const markOf = (r: TraceRow, long: boolean) =>
    long
      ? `${r.slowest ? ' ◀ slowest' : ''}${r.error === undefined ? '' : ` ✗ ${r.error.startsWith('HTTP ') ? r.error : 'error'}`}`
      : r.slowest || r.error !== undefined
        ? ` ${r.error === undefined ? '' : '✗'}${r.slowest ? '◀' : ''}`
        : '';
  const columnsFor = (long: boolean) => {
    const marks = rows.map((r) => markOf(r, long));
    const markW = Math.max(...marks.map(columns));
    // label, 2, start, 1, duration, 2, bar, marks
    const avail = width - (2 + startW + 1 + durW + 2) - markW;
    const labelW = Math.max(0, Math.min(labelNeed, avail - Math.min(16, Math.floor(avail / 3))));
    return { marks, labelW, barW: Math.max(0, avail - labelW) };
  };
  const spelled = columnsFor(true);
  const { marks, labelW, barW } = spelled.labelW >= labelNeed ? spelled : columnsFor(false);
  const total = Math.max(1, s.durationUs);

  rows.forEach((r, i) => {
    const indent = '  '.repeat(Math.min(r.depth, Math.floor(labelW / 4)));
    let bar = '';
    if (barW > 0) {
      const from = Math.min(barW - 1, Math.floor((r.startUs / total) * barW));
      const to = Math.max(from + 1, Math.min(barW, Math.round(((r.startUs + r.durationUs) / total) * barW)));
      bar = `${' '.repeat(from)}${'█'.repeat(to - from)}${' '.repeat(barW - to)}`;
    }
    const line = `${padTo(indent + (labels[i] ?? ''), labelW)}  ${(starts[i] ?? '').padStart(startW)} ${(durations[i] ?? '').padStart(durW)}  ${bar}${marks[i] ?? ''}`;
    lines.push(line.trimEnd());
  });

  const slow = rows.find((r) => r.slowest);
  if (slow)
    lines.push(
      `◀ slowest hop: ${oneLine(slow.service)}  ${oneLine(slow.name)}${slow.remote ? ` → ${oneLine(slow.remote)}` : ''}, ${ms(slow.selfUs)} of its own`,
    );
  const failed = rows.filter((r) => r.error !== undefined);
  for (const r of failed.slice(0, 5))
    lines.push(`✗ ${oneLine(r.service)}  ${oneLine(r.name)}: ${oneLine(r.error ?? '')}`);
  if (failed.length > 5) lines.push(`✗ and ${failed.length - 5} more failed spans (--json has them all)`);
  return lines.map((l) => cut(l, width)).join('\n');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function localTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `flix trace --slowest N`: where to look first, one line per trace, slowest first. */
export function renderSlowestTraces(traces: readonly (readonly ZipkinSpan[])[], n: number): string {
  const all = traces
    .filter((t) => t.length > 0)
    .map(traceSummary)
    .sort((a, b) => b.durationUs - a.durationUs || b.startMs - a.startMs);
  if (all.length === 0) return 'no traces in that window (--since widens it); `flix play` makes one';
  const shown = all.slice(0, Math.max(1, Math.floor(n)));
  const durations = shown.map((s) => ms(s.durationUs));
  const durW = Math.max(...durations.map((d) => d.length));
  const table = renderTable(
    ['trace', 'duration', 'spans', 'services', 'started', 'error', 'root'],
    shown.map((s, i) => [
      oneLine(s.traceId),
      (durations[i] ?? '').padStart(durW),
      String(s.spans),
      String(s.services.length),
      localTime(s.startMs),
      s.error ? 'yes' : 'no',
      `${oneLine(s.root.service)}  ${oneLine(s.root.name)}`,
    ]),
  );
  return all.length > shown.length
    ? `${table}\n(the ${shown.length} slowest of ${all.length} traces)`
    : table;
}
