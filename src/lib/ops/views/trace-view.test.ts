import { describe, expect, it } from 'vitest';
import type { ZipkinSpan } from '../../engines/zipkin/spans.js';
import { renderSlowestTraces, renderTraceWaterfall, traceRows, traceSummary } from './trace-view.js';

const t = '4bf92f3577b34da6a3ce929d0e0e4736';
const at = 1_796_000_000_000_000; // µs
const span = (
  id: string,
  service: string,
  kind: ZipkinSpan['kind'],
  start: number,
  duration: number,
  parentId?: string,
  extra: Partial<ZipkinSpan> = {},
): ZipkinSpan => ({
  traceId: t,
  id,
  parentId,
  kind,
  name: `${service} op`,
  timestamp: at + start,
  duration,
  localEndpoint: { serviceName: service },
  ...extra,
});

// a play: gateway → playback (→ steering, → cassandra), the cassandra call the slow one
const play: ZipkinSpan[] = [
  span('b', 'gateway', 'CLIENT', 1000, 90_000, 'a'),
  span('a', 'gateway', 'SERVER', 0, 100_000),
  span('c', 'playback', 'SERVER', 2000, 85_000, 'b'),
  span('e', 'playback', 'CLIENT', 4000, 60_000, 'c', { tags: { 'db.system': 'cassandra' } }),
  span('d', 'playback', 'CLIENT', 3000, 10_000, 'c'),
  span('f', 'steering', 'SERVER', 3500, 8000, 'd'),
];

describe('a trace as a waterfall', () => {
  it('puts each span under its caller, in start order, with offsets from the first', () => {
    const rows = traceRows(play);
    expect(rows.map((r) => [r.depth, r.service, r.startUs])).toEqual([
      [0, 'gateway', 0],
      [1, 'gateway', 1000],
      [2, 'playback', 2000],
      [3, 'playback', 3000],
      [4, 'steering', 3500],
      [3, 'playback', 4000],
    ]);
    expect(rows[5]?.remote).toBe('cassandra');
  });

  it('marks as slowest the span with the most time of its own, not the longest', () => {
    const rows = traceRows(play);
    expect(rows.filter((r) => r.slowest).map((r) => r.remote)).toEqual(['cassandra']);
  });

  it('places a server span that shares its id with its client span under that client', () => {
    const shared = [
      span('a', 'gateway', 'SERVER', 0, 50_000),
      span('b', 'gateway', 'CLIENT', 1000, 40_000, 'a'),
      span('b', 'users', 'SERVER', 2000, 30_000, 'a', { shared: true }),
    ];
    expect(traceRows(shared).map((r) => [r.depth, r.service])).toEqual([
      [0, 'gateway'],
      [1, 'gateway'],
      [2, 'users'],
    ]);
  });

  it('fits the width, with any Unicode in names, and marks errors', () => {
    const wide = [
      ...play,
      span('g', 'サービス-ünïcødé-with-a-very-long-name-indeed', 'SERVER', 5000, 1000, 'e', {
        tags: { 'http.response.status_code': '503' },
      }),
    ];
    const text = renderTraceWaterfall(wide, 80);
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(text).toContain('slowest hop: playback');
    expect(text).toMatch(/!$/m);
    expect(traceSummary(wide)).toMatchObject({ traceId: t, durationUs: 100_000, spans: 7, error: true });
  });

  it('lists the slowest traces first, and says so when there are none', () => {
    const quick = [span('z', 'elb', 'SERVER', 0, 5000)].map((s) => ({ ...s, traceId: 'ab'.repeat(16) }));
    const text = renderSlowestTraces([quick, play], 5);
    const lines = text.split('\n');
    expect(lines[1]).toContain(t);
    expect(lines[2]).toContain('ab'.repeat(16));
    expect(renderSlowestTraces([], 5)).toMatch(/no traces/);
  });
});
