import { describe, expect, it } from 'vitest';
import type { ZipkinSpan } from '../../engines/zipkin/spans.js';
import { renderSlowestTraces, renderTraceWaterfall, traceRows, traceSummary } from './trace-view.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const t0 = 1_796_000_000_000_000; // epoch µs

function span(
  id: string,
  service: string,
  kind: ZipkinSpan['kind'],
  name: string,
  startUs: number,
  durationUs: number,
  parentId?: string,
  extra: Partial<ZipkinSpan> = {},
): ZipkinSpan {
  const s: ZipkinSpan = {
    traceId,
    id,
    kind,
    name,
    timestamp: t0 + startUs,
    duration: durationUs,
    localEndpoint: { serviceName: service, ipv4: '127.0.0.1' },
    ...extra,
  };
  if (parentId) s.parentId = parentId;
  return s;
}

/**
 * A play as the services report it, in the order Zipkin happens to return them: the gateway asks
 * users (B3, one shared span for the call), catalog and playback (their own server spans), playback
 * asks steering and writes the session to Cassandra; users reads MySQL. The gateway's span is the
 * longest, the Cassandra write has the most time of its own.
 */
const play: ZipkinSpan[] = [
  span('e2', 'playback', 'SERVER', 'post /play', 18_500, 28_000, 'e1'),
  span('g1', 'playback', 'CLIENT', 'insert playback_sessions', 25_000, 20_000, 'e2', {
    remoteEndpoint: { serviceName: 'cassandra', port: 9042 },
  }),
  span('b1', 'users', 'SERVER', 'get /users/me', 1_500, 8_000, 'a1', { shared: true }),
  span('a1', 'gateway', 'SERVER', 'get /play/{id}', 0, 48_000),
  span('c1', 'users', 'CLIENT', 'select users', 2_000, 6_000, 'b1', {
    remoteEndpoint: { serviceName: 'mysql', port: 3306 },
  }),
  span('d1', 'gateway', 'CLIENT', 'get /titles/{id}', 10_500, 7_000, 'a1'),
  span('b1', 'gateway', 'CLIENT', 'get /users/me', 1_000, 9_000, 'a1'),
  span('f2', 'steering', 'SERVER', 'get /steer', 19_500, 4_000, 'f1'),
  span('d2', 'catalog', 'SERVER', 'get /titles/{id}', 11_000, 6_000, 'd1'),
  span('e1', 'gateway', 'CLIENT', 'post /play', 18_000, 29_000, 'a1'),
  span('f1', 'playback', 'CLIENT', 'get /steer', 19_000, 5_000, 'e2'),
];

/** Terminal columns, counted independently of the view: CJK and emoji two, combining marks none. */
function cols(line: string): number {
  let w = 0;
  for (const c of line)
    w += /[\u3040-\u30ff\u4e00-\u9fff\uff00-\uff60]|\p{Emoji_Presentation}/u.test(c)
      ? 2
      : /\p{M}/u.test(c)
        ? 0
        : 1;
  return w;
}

describe('the call tree of a trace', () => {
  it('puts each span under its caller, siblings in start order, offsets from the first span', () => {
    expect(traceRows(play).map((r) => [r.depth, r.service, r.name, r.kind, r.startUs])).toEqual([
      [0, 'gateway', 'get /play/{id}', 'SERVER', 0],
      [1, 'gateway', 'get /users/me', 'CLIENT', 1_000],
      [2, 'users', 'get /users/me', 'SERVER', 1_500],
      [3, 'users', 'select users', 'CLIENT', 2_000],
      [1, 'gateway', 'get /titles/{id}', 'CLIENT', 10_500],
      [2, 'catalog', 'get /titles/{id}', 'SERVER', 11_000],
      [1, 'gateway', 'post /play', 'CLIENT', 18_000],
      [2, 'playback', 'post /play', 'SERVER', 18_500],
      [3, 'playback', 'get /steer', 'CLIENT', 19_000],
      [4, 'steering', 'get /steer', 'SERVER', 19_500],
      [3, 'playback', 'insert playback_sessions', 'CLIENT', 25_000],
    ]);
  });

  it("names what a client span called, not a server's caller", () => {
    const rows = traceRows(play);
    expect(rows.filter((r) => r.remote).map((r) => [r.name, r.remote])).toEqual([
      ['select users', 'mysql'],
      ['insert playback_sessions', 'cassandra'],
    ]);
  });

  it('places a server span sharing its client span’s id under that client, once, even unflagged', () => {
    for (const flagged of [true, false]) {
      const spans = play.map((s) => (s.kind === 'SERVER' && s.id === 'b1' ? { ...s, shared: flagged } : s));
      const rows = traceRows(spans);
      expect(rows).toHaveLength(play.length);
      expect(rows.filter((r) => r.name === 'get /users/me').map((r) => [r.depth, r.service])).toEqual([
        [1, 'gateway'],
        [2, 'users'],
      ]);
      // users' own MySQL call is under users' server side, not beside it under the gateway
      expect(rows.find((r) => r.remote === 'mysql')?.depth).toBe(3);
    }
  });

  it('keeps a shared server span whose client span never arrived, under the caller it names', () => {
    const rows = traceRows(play.filter((s) => !(s.id === 'b1' && s.kind === 'CLIENT')));
    expect(rows).toHaveLength(play.length - 1);
    expect(rows.find((r) => r.service === 'users' && r.kind === 'SERVER')?.depth).toBe(1);
    expect(rows.find((r) => r.remote === 'mysql')?.depth).toBe(2);
  });

  it('makes roots of spans whose parent is missing, and of a parent cycle, dropping none', () => {
    const orphan = span('x1', 'history', 'SERVER', 'put /history', 30_000, 2_000, 'gone');
    const loop = [
      span('l1', 'recs', 'SERVER', 'one', 40_000, 1_000, 'l2'),
      span('l2', 'recs', 'CLIENT', 'two', 40_500, 500, 'l1'),
    ];
    const rows = traceRows([...play, orphan, ...loop]);
    expect(rows).toHaveLength(play.length + 3);
    expect(rows.filter((r) => r.depth === 0).map((r) => r.name)).toEqual([
      'get /play/{id}',
      'put /history',
      'one',
    ]);
    expect(rows.at(-1)).toMatchObject({ name: 'two', depth: 1 });
  });

  it('merges the fragments of one span reported twice', () => {
    const late = {
      traceId,
      id: 'd2',
      kind: 'SERVER' as const,
      localEndpoint: { serviceName: 'catalog' },
      tags: { 'http.status_code': '200' },
    };
    const rows = traceRows([...play, late]);
    expect(rows).toHaveLength(play.length);
    expect(rows.find((r) => r.service === 'catalog')).toMatchObject({ startUs: 11_000, durationUs: 6_000 });
  });
});

describe('the slowest hop', () => {
  it('is the span with the most time of its own, not the longest', () => {
    const rows = traceRows(play);
    expect(rows.filter((r) => r.slowest).map((r) => [r.name, r.remote, r.selfUs])).toEqual([
      ['insert playback_sessions', 'cassandra', 20_000],
    ]);
    // gateway: 48ms less its three calls (9 + 7 + 29)
    expect(rows[0]).toMatchObject({ durationUs: 48_000, selfUs: 3_000, slowest: false });
    // the gateway's client span to users waited 1ms beyond users' server span
    expect(rows[1]?.selfUs).toBe(1_000);
  });

  it('counts overlapping children once, and never below zero', () => {
    const rows = traceRows([
      span('p', 'playback', 'SERVER', 'post /play', 0, 10_000),
      span('q', 'playback', 'CLIENT', 'select a', 1_000, 6_000, 'p'),
      span('r', 'playback', 'CLIENT', 'select b', 2_000, 6_000, 'p'),
      span('s', 'steering', 'SERVER', 'skewed', 500, 9_000, 'q'),
      // clock skew: began before its caller; only the part inside the caller counts against it
      span('t', 'steering', 'SERVER', 'early', 1_500, 2_000, 'r'),
    ]);
    expect(rows.map((r) => [r.name, r.selfUs])).toEqual([
      ['post /play', 3_000],
      ['select a', 0],
      ['skewed', 9_000],
      ['select b', 4_500],
      ['early', 2_000],
    ]);
    expect(rows.find((r) => r.slowest)?.name).toBe('skewed');
  });

  it('is nobody when no span spent time of its own', () => {
    expect(traceRows([span('z', 'elb', 'SERVER', 'get /', 0, 0)]).some((r) => r.slowest)).toBe(false);
  });
});

describe('errors', () => {
  const failing = play.map((s) => {
    if (s.id === 'd2') return { ...s, tags: { 'http.status_code': '503' } };
    if (s.id === 'c1') return { ...s, tags: { error: '' } };
    if (s.id === 'f2') return { ...s, tags: { 'http.status_code': '404' } };
    return s;
  });

  it('come from the error tag, or an HTTP status of 500 or more', () => {
    expect(
      traceRows(failing)
        .filter((r) => r.error)
        .map((r) => [r.name, r.error]),
    ).toEqual([
      ['select users', 'error'],
      ['get /titles/{id}', 'HTTP 503'],
    ]);
    expect(traceSummary(failing).error).toBe(true);
    expect(traceSummary(play).error).toBe(false);
  });

  it('are marked on their line and named under the waterfall', () => {
    const lines = renderTraceWaterfall(failing, 80).split('\n');
    expect(lines[0]).toContain('✗ errors');
    expect(lines.find((l) => l.includes('catalog  get /titles'))).toMatch(/ms {2}[ █]+ ✗$/);
    expect(lines).toContain('✗ catalog  get /titles/{id}: HTTP 503');
    expect(lines).toContain('✗ users  select users: error');
    expect(lines.find((l) => l.includes('steering  get /steer'))).not.toContain('✗');
    // with room for them, the marks are spelled out
    const roomy = renderTraceWaterfall(failing, 160).split('\n');
    expect(roomy.find((l) => l.includes('catalog  get /titles'))).toMatch(/ms {2}[ █]+ ✗ HTTP 503$/);
    expect(roomy.find((l) => l.includes('users  select users'))).toMatch(/ ✗ error$/);
  });
});

describe('the waterfall', () => {
  it('has a header, one line per span, the slowest hop marked and named', () => {
    const lines = renderTraceWaterfall(play, 80).split('\n');
    expect(lines[0]).toBe(`trace ${traceId}  48.0ms  5 services, 11 spans`);
    expect(lines).toHaveLength(1 + play.length + 1);
    const cassandra = lines.find((l) => l.includes('insert playback')) ?? '';
    expect(cassandra).toMatch(/^ {6}playback {2}insert playback/);
    // 80 columns are too few for the names and a spelled-out mark: the glyph, named underneath
    expect(cassandra).toMatch(/\+25\.0ms +20\.0ms {2}[ █]+ ◀$/);
    expect(lines.filter((l) => l.includes('◀'))).toHaveLength(2);
    expect(lines.at(-1)).toBe(
      '◀ slowest hop: playback  insert playback_sessions → cassandra, 20.0ms of its own',
    );
    const roomy = renderTraceWaterfall(play, 160).split('\n');
    expect(roomy.find((l) => l.includes('insert playback'))).toMatch(
      /^ {6}playback {2}insert playback_sessions → cassandra +\+25\.0ms +20\.0ms {2}[ █]+ ◀ slowest$/,
    );
    expect(roomy.filter((l) => /ms {2}[ █]+ ◀/.test(l))).toHaveLength(1);
  });

  it('draws bars on the timeline: the root fills it, a late span starts late', () => {
    const lines = renderTraceWaterfall(play, 80).split('\n');
    const bar = (l: string) => /ms {2}([ █]*█)/.exec(l)?.[1] ?? '';
    const root = bar(lines[1] ?? '');
    expect(root).toMatch(/^█+$/);
    const cassandra = bar(lines.find((l) => l.includes('insert playback')) ?? '');
    expect(cassandra.length).toBeLessThanOrEqual(root.length);
    const lead = cassandra.indexOf('█');
    expect(lead / root.length).toBeCloseTo(25 / 48, 1);
    expect((cassandra.length - lead) / root.length).toBeCloseTo(20 / 48, 1);
  });

  it('fits the width on every line, with any Unicode in names, the columns still aligned', () => {
    const wide = [
      ...play,
      span(
        'u1',
        'サービス-ünïcöde-e\u0301-🎬-with-a-very-long-service-name-indeed',
        'SERVER',
        'ストリーム開始',
        26_000,
        3_000,
        'g1',
        {
          tags: { error: 'a very long error message from deep inside the driver' },
        },
      ),
    ];
    for (const width of [80, 60, 120]) {
      const lines = renderTraceWaterfall(wide, width).split('\n');
      for (const line of lines) expect(cols(line), line).toBeLessThanOrEqual(width);
      const rows = lines.filter((l) => /ms {2}/.test(l) && !l.startsWith('trace '));
      expect(rows).toHaveLength(wide.length);
      const numbersEnd = rows.map((l) => cols(/^.*?\+[\d.]+ms +[\d.]+ms/.exec(l)?.[0] ?? ''));
      expect(new Set(numbersEnd).size).toBe(1);
      if (width <= 80) expect(rows.find((l) => l.includes('サ'))).toContain('…');
      else expect(rows.find((l) => l.includes('サ'))).toContain('indeed  ストリーム開始');
    }
    // a wider terminal gives the bars the room
    const bars = (w: number) =>
      (/ms {2}(█+)/.exec(renderTraceWaterfall(play, w).split('\n')[1] ?? '')?.[1] ?? '').length;
    expect(bars(160)).toBeGreaterThan(bars(80));
  });

  it('keeps a name with a newline or bidi override on its one line', () => {
    const sneaky = [span('a1', 'gateway\nFAKE LINE', 'SERVER', 'get \u202e/yalp', 0, 1_000)];
    const text = renderTraceWaterfall(sneaky, 80);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).not.toContain('\u202e');
    expect(text).toContain('gateway\\u{a}FAKE LINE');
  });

  it('says so when the trace has no spans', () => {
    expect(renderTraceWaterfall([])).toMatch(/no spans/);
  });
});

describe('a summary of a trace', () => {
  it('is its id, length, services, root and start', () => {
    expect(traceSummary(play)).toEqual({
      traceId,
      durationUs: 48_000,
      services: ['catalog', 'gateway', 'playback', 'steering', 'users'],
      spans: 11,
      root: { service: 'gateway', name: 'get /play/{id}' },
      error: false,
      startMs: t0 / 1000,
    });
  });
});

describe('the slowest traces', () => {
  const other = (id: string, durationUs: number, startUs: number, extra: Partial<ZipkinSpan> = {}) => [
    { ...span('r1', 'elb', 'SERVER', 'get /hls/master.m3u8', startUs, durationUs), traceId: id, ...extra },
  ];
  const quick = other('a'.repeat(32), 5_000, 60_000_000);
  const slow = other('b'.repeat(32), 250_000, 120_000_000, { tags: { 'http.status_code': '502' } });

  it('are listed slowest first with their root, start, size and errors', () => {
    const lines = renderSlowestTraces([quick, play, slow], 5).split('\n');
    expect(lines[0]).toMatch(/^TRACE +DURATION +SPANS +SERVICES +STARTED +ERROR +ROOT$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['b'.repeat(32), traceId, 'a'.repeat(32)]);
    expect(lines[1]).toMatch(
      /250\.0ms +1 +1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +yes +elb {2}get \/hls\/master\.m3u8$/,
    );
    expect(lines[2]).toMatch(/ 48\.0ms +11 +5 .* no +gateway {2}get \/play\/\{id\}$/);
    const d = new Date(t0 / 1000);
    expect(lines[2]).toContain(
      `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`,
    );
  });

  it('are at most N, saying how many there were', () => {
    const lines = renderSlowestTraces([quick, play, slow], 2).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain(traceId);
    expect(lines[3]).toBe('(the 2 slowest of 3 traces)');
  });

  it('say how to make one when there are none', () => {
    expect(renderSlowestTraces([], 5)).toMatch(/^no traces in that window.*`flix play` makes one$/);
    expect(renderSlowestTraces([[]], 5)).toMatch(/^no traces/);
  });
});
