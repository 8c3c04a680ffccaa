import { Box, render, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { columns, cut, padTo } from '../../core/columns.js';
import { type BreakerRow, type TopSnapshot, total } from '../top.js';
import { terminalSafe } from './engage-view.js';

/**
 * `flix top` drawn: the same lines for the live ink view and the plain periodic summary, laid out
 * for the terminal's size. From 80 columns two panels side by side (services | breakers, caches and
 * edges | Kafka lag); narrower, one column. Rows that do not fit become "… N more" lines, the
 * rows that matter (busiest services, breakers not closed, biggest lag) sorted first.
 */

/** A run of text with an optional colour; a line is a list of them. */
export interface Segment {
  text: string;
  color?: 'red' | 'yellow' | 'green' | 'gray' | 'cyan';
  bold?: boolean;
}
export type Line = Segment[];

const seg = (text: string, color?: Segment['color'], bold?: boolean): Segment => ({ text, color, bold });
const lineText = (l: Line) => l.map((s) => s.text).join('');

/** Cuts or pads a line to exactly `width` terminal columns. */
function fitLine(l: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const s of l) {
    if (left <= 0) break;
    const w = columns(s.text);
    if (w <= left) {
      out.push(s);
      left -= w;
    } else {
      const c = cut(s.text, left);
      out.push({ ...s, text: c });
      left -= columns(c);
    }
  }
  if (left > 0) out.push(seg(' '.repeat(left)));
  return out;
}

/** A name from the cluster (any Unicode, escaped if it could reshape the screen) in exactly n columns. */
const name = (text: string, n: number) => padTo(terminalSafe(text).replace(/[\n\r]/g, ' '), n);

export function formatRate(v: number): string {
  if (v === 0) return '0';
  if (v < 0.1) return '<0.1';
  if (v < 10) return v.toFixed(1);
  if (v < 10_000) return String(Math.round(v));
  return `${(v / 1000).toFixed(0)}k`;
}

export function formatMs(v: number | null): string {
  if (v === null) return '–';
  if (v < 10) return `${v.toFixed(1)}ms`;
  if (v < 1000) return `${Math.round(v)}ms`;
  return `${(v / 1000).toFixed(1)}s`;
}

const pct = (v: number | null, digits = 0) => (v === null ? '–' : `${(v * 100).toFixed(digits)}%`);

export function formatBytesPerSecond(v: number): string {
  if (v < 1024) return `${Math.round(v)} B/s`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB/s`;
  return `${(v / 1024 / 1024).toFixed(1)} MiB/s`;
}

function stateSegment(state: BreakerRow['state']): Segment {
  if (state === 'open') return seg('OPEN   ', 'red', true);
  if (state === 'half-open') return seg('HALF   ', 'yellow', true);
  if (state === 'isolated') return seg('ISOLATE', 'yellow');
  return seg('closed ', 'green');
}

/** A panel: a heading line, then rows, cut to `rows` lines with a "… N more" line when they do not fit. */
function panel(heading: Line, rows: Line[], maxRows: number, more: (n: number) => string): Line[] {
  if (maxRows <= 0) return [];
  const out = [heading];
  if (rows.length <= maxRows - 1) return out.concat(rows);
  const shown = Math.max(0, maxRows - 2);
  return out.concat(rows.slice(0, shown), [[seg(more(rows.length - shown), 'gray')]]);
}

function servicesPanel(s: TopSnapshot, maxRows: number): Line[] {
  const rows = s.services.map((r): Line => {
    const down = r.up < r.instances;
    return [
      seg(name(`${r.service}${down ? ` ${r.up}/${r.instances}` : ''}`, 15), down ? 'red' : undefined),
      seg(formatRate(r.rps).padStart(6)),
      seg(
        (r.errorPct === null ? '–' : `${r.errorPct.toFixed(1)}%`).padStart(6),
        r.errorPct !== null && r.errorPct >= 1 ? 'red' : undefined,
      ),
      seg(formatMs(r.p50Ms).padStart(7)),
      seg(formatMs(r.p99Ms).padStart(7)),
    ];
  });
  const idle = s.services.filter((r) => r.rps === 0).length;
  return panel(
    [
      seg(
        `${'SERVICE'.padEnd(15)}${'RPS'.padStart(6)}${'5XX'.padStart(6)}${'P50'.padStart(7)}${'P99'.padStart(7)}`,
        'cyan',
        true,
      ),
    ],
    rows,
    maxRows,
    (n) => `… ${n} more${idle >= n ? ', idle' : ''}`,
  );
}

function breakersPanel(s: TopSnapshot, maxRows: number, width: number): Line[] {
  const nameWidth = Math.max(12, width - 7 - 9 - 7);
  const rows = s.breakers.map((b): Line => {
    const calls = total(b.calls) - (b.calls.fallback ?? 0);
    const failed = calls - (b.calls.success ?? 0);
    const bulk = b.maxConcurrent > 0 ? `${b.inFlight + b.queued}/${b.maxConcurrent}` : '–';
    return [
      seg(`${name(`${b.service}→${b.dependency}`, nameWidth - 1)} `),
      stateSegment(b.state),
      seg(`${failed}/${calls}`.padStart(9), failed > 0 ? 'red' : undefined),
      seg(bulk.padStart(7), b.queued > 0 ? 'yellow' : undefined),
    ];
  });
  const closed = s.breakers.filter((b) => b.state === 'closed').length;
  return panel(
    [
      seg(
        `${'BREAKER'.padEnd(nameWidth)}${'STATE'.padEnd(7)}${'BAD/ALL'.padStart(9)}${'BULK'.padStart(7)}`,
        'cyan',
        true,
      ),
    ],
    rows,
    maxRows,
    (n) => `… ${n} more${closed >= n ? ', closed' : ''}`,
  );
}

function cachesPanel(s: TopSnapshot): Line[] {
  const out: Line[] = [
    [
      seg(
        `${'EVCACHE'.padEnd(10)}${'HIT'.padStart(6)}${'X-ZONE'.padStart(8)}${'READS'.padStart(8)}${'FAIL'.padStart(6)}`,
        'cyan',
        true,
      ),
    ],
  ];
  for (const z of s.evcache) {
    // a zoneless instance (a canary) with no reads says nothing
    if (z.zone === '-' && z.hitRatio === null) continue;
    const reads = z.hits + z.crossZoneHits + z.misses + z.failures;
    out.push([
      seg(name(`zone ${z.zone}`, 10)),
      seg(pct(z.hitRatio).padStart(6)),
      seg(pct(reads > 0 ? z.crossZoneHits / reads : null).padStart(8)),
      seg(String(reads).padStart(8)),
      seg(String(z.failures).padStart(6), z.failures > 0 ? 'red' : undefined),
    ]);
  }
  if (s.evcache.length === 0) out.push([seg('no reads yet', 'gray')]);
  out.push([
    seg(`${'EDGE'.padEnd(10)}${'HIT'.padStart(6)}${'REQS'.padStart(8)}${'SENT'.padStart(14)}`, 'cyan', true),
  ]);
  for (const e of s.edges)
    out.push([
      seg(name(e.edge, 10)),
      seg(pct(e.hitRatio).padStart(6)),
      seg(String(e.requests).padStart(8)),
      seg(formatBytesPerSecond(e.bytesPerSecond).padStart(14)),
    ]);
  return out;
}

function lagPanel(s: TopSnapshot, maxRows: number, width: number): Line[] {
  const rows = s.kafkaLag.map(
    (l): Line => [
      seg(`${name(`${l.group} ${l.topic}`, width - 9)} `),
      seg(String(l.lag).padStart(8), l.lag > 1000 ? 'yellow' : undefined),
    ],
  );
  if (rows.length === 0) rows.push([seg('no consumer has reported yet', 'gray')]);
  return panel(
    [seg(`${'KAFKA GROUP TOPIC'.padEnd(width - 8)}${'LAG'.padStart(8)}`, 'cyan', true)],
    rows,
    maxRows,
    (n) => `… ${n} more`,
  );
}

function headerLines(s: TopSnapshot, width: number): Line[] {
  const c = s.components;
  const time = s.at.slice(11, 19);
  const head: Line = [
    seg('flix top', undefined, true),
    seg(` · ${terminalSafe(s.cluster)} · ${c.healthy}/${c.total} healthy`),
    c.troubled.length > 0 ? seg(` · ${c.troubled.length} in trouble`, 'red', true) : seg(''),
    seg(` · last ${s.window} · ${time} UTC`, 'gray'),
  ];
  const out = [fitLine(head, width)];
  if (c.troubled.length > 0) {
    const what = c.troubled
      .map(
        (t) =>
          `${t.name} ${t.state === 'healthy' ? 'not scraped' : t.state}${t.restarts > 0 ? ` ↻${t.restarts}` : ''}`,
      )
      .join(', ');
    out.push(fitLine([seg('DOWN ', 'red', true), seg(terminalSafe(what), 'red')], width));
  }
  return out;
}

/** The dashboard as lines of exactly `width` columns, at most `height` of them. */
export function topLines(s: TopSnapshot, width = 80, height = 24, footer?: string): Line[] {
  width = Math.max(40, width);
  height = Math.max(10, height);
  const out = headerLines(s, width);
  const budget = height - out.length - (footer ? 1 : 0);
  const caches = cachesPanel(s);
  if (width >= 80) {
    const left = 41;
    const right = width - left - 1;
    const lower = Math.min(caches.length, Math.max(4, Math.floor(budget / 3)));
    const upper = budget - lower;
    const a = servicesPanel(s, upper);
    const b = breakersPanel(s, upper, right);
    const c = caches.slice(0, lower);
    const d = lagPanel(s, lower, right);
    const side = (x: Line[], y: Line[]) => {
      for (let i = 0; i < Math.max(x.length, y.length); i++)
        out.push([...fitLine(x[i] ?? [], left), seg(' '), ...fitLine(y[i] ?? [], right)]);
    };
    side(a, b);
    side(c, d);
  } else {
    const share = Math.max(3, Math.floor(budget / 4));
    out.push(...servicesPanel(s, share), ...breakersPanel(s, share, width), ...caches.slice(0, share));
    out.push(...lagPanel(s, Math.max(0, height - out.length - (footer ? 1 : 0)), width));
  }
  const lines = out.slice(0, height - (footer ? 1 : 0)).map((l) => fitLine(l, width));
  if (footer) lines.push(fitLine([seg(footer, 'gray')], width));
  return lines;
}

/** The plain text of a snapshot (no colour, trailing spaces trimmed), for pipes and logs. */
export function plainTop(s: TopSnapshot, width = 80, height = 24): string {
  return topLines(s, width, height)
    .map((l) => lineText(l).trimEnd())
    .join('\n');
}

function Dashboard({ load, intervalMs }: { load: () => Promise<TopSnapshot>; intervalMs: number }) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [snapshot, setSnapshot] = useState<TopSnapshot | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit();
  });
  useEffect(() => {
    const resize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', resize);
    return () => {
      stdout.off('resize', resize);
    };
  }, [stdout]);
  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      try {
        const s = await load();
        if (stopped) return;
        setSnapshot(s);
        setProblem(null);
      } catch (error) {
        if (!stopped) setProblem((error as Error).message);
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [load, intervalMs]);
  const footer = `${problem ? `${problem} · ` : ''}every ${intervalMs / 1000}s · q quits`;
  if (!snapshot) return <Text color="gray">{problem ?? 'asking Prometheus…'}</Text>;
  // one row short of the screen: ink redraws in place only while its output is smaller than it
  const lines = topLines(snapshot, size.columns, size.rows - 1, footer);
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a line is its position on the screen
        <Text key={i} wrap="truncate">
          {l.map((s, j) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a segment is its position in the line
            <Text key={j} color={s.color} bold={s.bold}>
              {s.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}

/** The live dashboard on a TTY until q or Ctrl-C. */
export async function runTopLive(load: () => Promise<TopSnapshot>, intervalMs: number): Promise<void> {
  const app = render(<Dashboard load={load} intervalMs={intervalMs} />, { exitOnCtrlC: false });
  await app.waitUntilExit();
}

/**
 * Without a TTY: the summary printed every interval (a timestamped block, blank line between) until
 * the signal aborts. A snapshot that fails prints its reason and the next one is tried.
 */
export async function runTopPlain(
  load: () => Promise<TopSnapshot>,
  intervalMs: number,
  signal: AbortSignal,
  write: (text: string) => void,
  width = 80,
  height = 24,
): Promise<void> {
  while (!signal.aborted) {
    try {
      write(`${plainTop(await load(), width, height)}\n\n`);
    } catch (error) {
      if (signal.aborted) break;
      write(`${new Date().toISOString()} ${(error as Error).message}\n\n`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
