import { describe, expect, it } from 'vitest';
import { aggregatesOf, MetricsRegistry, mergeRegistries, naturalAggregate } from './metrics.js';
import { mulberry32 } from './schedule.js';

/** Exact percentile of a sorted sample (nearest rank), what HDR approximates to 3 digits. */
function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe('trends', () => {
  it('summarize count, min, mean, percentiles and max', () => {
    const r = new MetricsRegistry();
    const t = r.trend('start_ms', { unit: 'ms' });
    for (let i = 1; i <= 1000; i++) t.add(i);
    const s = r.summary().start_ms;
    expect(s?.kind).toBe('trend');
    expect(s?.unit).toBe('ms');
    if (s?.kind !== 'trend') return;
    expect(s.values.count).toBe(1000);
    expect(s.values.min).toBe(1);
    expect(s.values.max).toBe(1000);
    expect(s.values.mean).toBeCloseTo(500.5, 9);
    expect(s.values.p50).toBeCloseTo(500, -0.5);
    expect(s.values.p90).toBeCloseTo(900, -0.5);
    expect(s.values.p95).toBeCloseTo(950, -0.5);
    expect(s.values.p99).toBeCloseTo(990, -0.5);
  });

  it('keep percentiles within 0.1% of the exact ones over a wide range', () => {
    const rng = mulberry32(42);
    const r = new MetricsRegistry();
    const t = r.trend('latency_ms');
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // log-uniform from 0.1 ms to 100 s
      const v = 10 ** (rng() * 6 - 1);
      values.push(v);
      t.add(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 95, 99, 99.9]) {
      const got = r.aggregate('latency_ms', { fn: 'p', p }) as number;
      const want = exactPercentile(values, p);
      expect(Math.abs(got - want) / want).toBeLessThan(0.002);
    }
  });

  it('give the exact min, max and mean, never the histogram bucket edge', () => {
    const r = new MetricsRegistry();
    const t = r.trend('x');
    t.add(1_000_000.123);
    t.add(3.5);
    expect(r.aggregate('x', { fn: 'max' })).toBe(1_000_000.123);
    expect(r.aggregate('x', { fn: 'p', p: 100 })).toBe(1_000_000.123);
    expect(r.aggregate('x', { fn: 'min' })).toBe(3.5);
    expect(r.aggregate('x', { fn: 'p', p: 0 })).toBe(3.5);
    expect(r.aggregate('x', { fn: 'avg' })).toBeCloseTo((1_000_000.123 + 3.5) / 2, 9);
    // one sample: every percentile is that sample
    const one = r.trend('one');
    one.add(123.456);
    expect(r.aggregate('one', { fn: 'p', p: 99 })).toBe(123.456);
  });

  it('keep small ratios apart (6 decimals for unit ratio)', () => {
    const r = new MetricsRegistry();
    const t = r.trend('rebuffer_ratio', { unit: 'ratio' });
    for (let i = 0; i < 99; i++) t.add(0);
    t.add(0.0004);
    expect(r.aggregate('rebuffer_ratio', { fn: 'p', p: 99.5 })).toBeCloseTo(0.0004, 6);
    expect(r.aggregate('rebuffer_ratio', { fn: 'p', p: 50 })).toBe(0);
  });

  it('are empty (null, not 0) without samples, with count 0', () => {
    const r = new MetricsRegistry();
    r.trend('start_ms');
    expect(r.trendSummary('start_ms')).toEqual({
      count: 0,
      min: null,
      mean: null,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      max: null,
    });
    expect(r.aggregate('start_ms', { fn: 'avg' })).toBeUndefined();
    expect(r.aggregate('start_ms', { fn: 'count' })).toBe(0);
  });

  it('refuse negative and non-finite values', () => {
    const t = new MetricsRegistry().trend('x');
    expect(() => t.add(-1)).toThrow(RangeError);
    expect(() => t.add(Number.NaN)).toThrow(RangeError);
    expect(() => t.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('tags', () => {
  it('split a metric by step and endpoint, and filters read any subset', () => {
    const r = new MetricsRegistry();
    const t = r.trend('request_ms');
    t.add(10, { step: 'manifest', endpoint: 'edge-a' });
    t.add(20, { step: 'segment', endpoint: 'edge-a' });
    t.add(30, { step: 'segment', endpoint: 'edge-b' });
    t.add(40);
    expect(r.aggregate('request_ms', { fn: 'count' })).toBe(4);
    expect(r.aggregate('request_ms', { fn: 'count' }, { step: 'segment' })).toBe(2);
    expect(r.aggregate('request_ms', { fn: 'avg' }, { step: 'segment' })).toBe(25);
    expect(r.aggregate('request_ms', { fn: 'max' }, { endpoint: 'edge-a' })).toBe(20);
    expect(r.aggregate('request_ms', { fn: 'avg' }, { step: 'segment', endpoint: 'edge-b' })).toBe(30);
    expect(r.aggregate('request_ms', { fn: 'avg' }, { step: 'heartbeat' })).toBeUndefined();
    const s = r.summary().request_ms;
    expect(s?.series.map((x) => x.tags)).toEqual([
      { endpoint: 'edge-a', step: 'manifest' },
      { endpoint: 'edge-a', step: 'segment' },
      { endpoint: 'edge-b', step: 'segment' },
    ]);
  });

  it('are one series whatever the key order', () => {
    const r = new MetricsRegistry();
    const c = r.counter('n');
    c.add(1, { step: 's', endpoint: 'e' });
    c.add(2, { endpoint: 'e', step: 's' });
    expect(r.summary().n?.series).toHaveLength(1);
    expect(r.aggregate('n', { fn: 'count' }, { step: 's', endpoint: 'e' })).toBe(3);
  });

  it('refuse an unbounded number of combinations (a tag holding ids)', () => {
    const c = new MetricsRegistry().counter('n');
    for (let i = 0; i < 1000; i++) c.add(1, { url: `u${i}` });
    expect(() => c.add(1, { url: 'one-too-many' })).toThrow(/tag combinations/);
  });
});

describe('counters, rates and gauges', () => {
  it('counters add, and refuse to shrink', () => {
    const r = new MetricsRegistry();
    const c = r.counter('rebuffers');
    c.add();
    c.add(2.5);
    expect(r.aggregate('rebuffers', { fn: 'count' })).toBe(3.5);
    expect(r.aggregate('rebuffers', { fn: 'count' }, { step: 'x' })).toBe(0);
    expect(() => c.add(-1)).toThrow(RangeError);
  });

  it('rates are passes over total, count being the passes', () => {
    const r = new MetricsRegistry();
    const f = r.rate('failed_plays');
    expect(r.aggregate('failed_plays', { fn: 'rate' })).toBeUndefined();
    f.add(true);
    f.add(false);
    f.add(false);
    f.addCounts(1, 5);
    expect(r.aggregate('failed_plays', { fn: 'rate' })).toBeCloseTo(2 / 9, 12);
    expect(r.aggregate('failed_plays', { fn: 'count' })).toBe(2);
    expect(r.summary().failed_plays?.values).toEqual({ rate: 2 / 9, passes: 2, total: 9 });
    expect(() => f.addCounts(0.5, 1)).toThrow(RangeError);
  });

  it('gauges keep the last value and the extremes', () => {
    const r = new MetricsRegistry();
    const g = r.gauge('viewers');
    expect(r.aggregate('viewers', { fn: 'value' })).toBeUndefined();
    g.set(10);
    g.set(300);
    g.set(120);
    expect(r.summary().viewers?.values).toEqual({ value: 120, min: 10, max: 300 });
  });

  it('only have the aggregates of their kind', () => {
    const r = new MetricsRegistry();
    r.counter('c').add(1);
    expect(r.aggregate('c', { fn: 'p', p: 99 })).toBeUndefined();
    expect(r.aggregate('nope', { fn: 'count' })).toBeUndefined();
    expect(aggregatesOf.trend).toContain('p');
    expect(naturalAggregate('counter')).toEqual({ fn: 'count' });
    expect(naturalAggregate('rate')).toEqual({ fn: 'rate' });
    expect(naturalAggregate('trend')).toEqual({ fn: 'avg' });
    expect(naturalAggregate('gauge')).toEqual({ fn: 'value' });
  });
});

describe('the registry', () => {
  it('gives the same metric for a name, and refuses another kind or unit under it', () => {
    const r = new MetricsRegistry();
    expect(r.trend('start_ms', { unit: 'ms' })).toBe(r.trend('start_ms'));
    expect(() => r.counter('start_ms')).toThrow(/is a trend/);
    expect(() => r.trend('start_ms', { unit: 's' })).toThrow(/in ms/);
    expect(() => r.trend('9lives')).toThrow(/not a metric name/);
    expect(r.kindOf('start_ms')).toBe('trend');
    expect(r.kindOf('x')).toBeUndefined();
  });

  it('lists names in order', () => {
    const r = new MetricsRegistry();
    r.rate('b');
    r.counter('a');
    r.gauge('c');
    expect(r.names()).toEqual(['a', 'b', 'c']);
    expect(Object.keys(r.summary())).toEqual(['a', 'b', 'c']);
  });
});

describe('merging registries', () => {
  function generator(seed: number, n: number) {
    const rng = mulberry32(seed);
    const r = new MetricsRegistry();
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = Math.round(rng() * 5000 * 1000) / 1000;
      values.push(v);
      r.trend('start_ms', { unit: 'ms' }).add(v, { endpoint: i % 2 ? 'edge-a' : 'edge-b' });
      r.rate('failed_plays').add(rng() < 0.1);
      r.counter('rebuffers').add(i % 3, { step: 'play' });
      r.gauge('viewers').set(i);
    }
    return { r, values };
  }

  it('gives what one registry recording everything would', () => {
    const a = generator(1, 3000);
    const b = generator(2, 2000);
    const one = new MetricsRegistry();
    for (const part of [a, b]) one.merge(part.r);
    const merged = mergeRegistries([a.r, b.r]);
    const all = [...a.values, ...b.values].sort((x, y) => x - y);
    const s = merged.trendSummary('start_ms');
    expect(s?.count).toBe(5000);
    expect(s?.min).toBe(all[0]);
    expect(s?.max).toBe(all.at(-1));
    expect(s?.mean).toBeCloseTo(all.reduce((x, y) => x + y, 0) / all.length, 6);
    expect(Math.abs((s?.p99 as number) - exactPercentile(all, 99)) / exactPercentile(all, 99)).toBeLessThan(
      0.002,
    );
    expect(merged.summary()).toEqual(one.summary());
    const fails =
      (a.r.aggregate('failed_plays', { fn: 'count' }) as number) +
      (b.r.aggregate('failed_plays', { fn: 'count' }) as number);
    expect(merged.aggregate('failed_plays', { fn: 'count' })).toBe(fails);
    expect(merged.aggregate('rebuffers', { fn: 'count' }, { step: 'play' })).toBe(
      (a.r.aggregate('rebuffers', { fn: 'count' }) as number) +
        (b.r.aggregate('rebuffers', { fn: 'count' }) as number),
    );
    expect(merged.aggregate('start_ms', { fn: 'count' }, { endpoint: 'edge-a' })).toBe(2500);
    // gauges of several generators add up (viewers in flight on each)
    expect(merged.aggregate('viewers', { fn: 'value' })).toBe(2999 + 1999);
    expect(merged.aggregate('viewers', { fn: 'max' })).toBe(2999);
  });

  it('leaves the parts as they were', () => {
    const a = generator(1, 100);
    const before = a.r.summary();
    mergeRegistries([a.r, generator(2, 100).r]);
    expect(a.r.summary()).toEqual(before);
  });

  it('goes through JSON (another process) without losing anything', () => {
    const a = generator(7, 1500);
    const json = JSON.parse(JSON.stringify(a.r.toJSON()));
    const back = new MetricsRegistry().merge(json);
    expect(back.summary()).toEqual(a.r.summary());
    expect(back.aggregate('start_ms', { fn: 'p', p: 99.9 })).toBe(
      a.r.aggregate('start_ms', { fn: 'p', p: 99.9 }),
    );
    // and the decoded histogram still grows
    back.trend('start_ms').add(1e7);
    expect(back.aggregate('start_ms', { fn: 'max' })).toBe(1e7);
  });

  it('round-trips empty metrics too', () => {
    const r = new MetricsRegistry();
    r.trend('t');
    r.gauge('g');
    r.rate('r');
    r.counter('c');
    expect(MetricsRegistry.fromJSON(JSON.parse(JSON.stringify(r))).summary()).toEqual(r.summary());
  });

  it('refuses a metric of one name and two kinds, and snapshots it does not know', () => {
    const a = new MetricsRegistry();
    a.counter('x').add(1);
    const b = new MetricsRegistry();
    b.rate('x').add(true);
    expect(() => mergeRegistries([a, b])).toThrow(/is a counter/);
    expect(() => MetricsRegistry.fromJSON({ version: 2 } as never)).toThrow(/snapshot/);
  });

  it('refuses trends kept to different decimals', () => {
    const a = new MetricsRegistry();
    a.trend('x', { decimals: 3 }).add(1);
    const b = new MetricsRegistry();
    b.trend('x', { decimals: 0 }).add(1);
    expect(() => mergeRegistries([a, b])).toThrow(/decimals/);
  });
});
