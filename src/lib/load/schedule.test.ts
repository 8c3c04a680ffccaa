import { describe, expect, it } from 'vitest';
import { FlixError } from '../core/errors.js';
import {
  assignTitles,
  closedModel,
  defaultRetry,
  describeTimeline,
  forkRng,
  fullJitterDelayMs,
  herd,
  MAX_ARRIVALS,
  mulberry32,
  openModel,
  parseArrivalRate,
  parseDuration,
  parseHerd,
  retryDelays,
  seedFrom,
  zipfProbabilities,
  zipfSampler,
} from './schedule.js';

describe('mulberry32', () => {
  it('is deterministic per seed, in [0, 1), and differs between seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const c = mulberry32(2);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.slice(0, 5)).not.toEqual(Array.from({ length: 5 }, () => c()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('matches the reference mulberry32 output', () => {
    // first outputs of the reference implementation (Tommy Ettinger's, as bryc publishes it), × 2^32
    const first3 = (seed: number) => {
      const r = mulberry32(seed);
      return [r(), r(), r()].map((x) => Math.round(x * 4_294_967_296));
    };
    expect(first3(0)).toEqual([1_144_304_738, 1_416_247, 958_946_056]);
    expect(first3(12345)).toEqual([4_207_900_869, 1_317_490_944, 2_079_646_450]);
  });

  it('is roughly uniform', () => {
    const r = mulberry32(123);
    const buckets = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) buckets[Math.floor(r() * 10)]++;
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 100);
  });

  it('seeds from texts and numbers; forks give independent, stable streams', () => {
    expect(seedFrom('nightly')).toBe(seedFrom('nightly'));
    expect(seedFrom('nightly')).not.toBe(seedFrom('nightlz'));
    expect(seedFrom(-1)).toBe(4_294_967_295);
    const f1 = forkRng(7, 1);
    const f1again = forkRng(7, 1);
    const f2 = forkRng(7, 2);
    const one = [f1(), f1(), f1()];
    expect(one).toEqual([f1again(), f1again(), f1again()]);
    expect(one).not.toEqual([f2(), f2(), f2()]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['300ms', 300],
    ['40s', 40_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0s', 0],
    ['45', 45_000],
    ['0.25', 250],
    [' 2M ', 120_000],
    ['1h2m3s4ms', 3_723_004],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '-1s', '10x', '1s1s', 'ms', '1.s', '2 m'])('refuses %j naming the flag', (text) => {
    try {
      parseDuration(text, '--ramp');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FlixError);
      expect((e as FlixError).message).toBe(`--ramp: "${text}" is not a duration`);
      expect((e as FlixError).exitCode).toBe(2);
    }
  });
});

describe('parseArrivalRate and parseHerd', () => {
  it('read rates per second, minute or hour', () => {
    expect(parseArrivalRate('5/s')).toBe(5);
    expect(parseArrivalRate('300/m')).toBe(5);
    expect(parseArrivalRate('3600/h')).toBe(1);
    expect(parseArrivalRate('2.5')).toBe(2.5);
    expect(() => parseArrivalRate('0/s')).toThrow(/not an arrival rate/);
    expect(() => parseArrivalRate('fast')).toThrow(FlixError);
  });

  it('read VIEWERS@TIME', () => {
    expect(parseHerd('500@30s')).toEqual({ viewers: 500, atMs: 30_000 });
    expect(parseHerd(' 10 @ 1m ')).toEqual({ viewers: 10, atMs: 60_000 });
    expect(() => parseHerd('500')).toThrow(/VIEWERS@TIME/);
    expect(() => parseHerd('0@1s')).toThrow(/above 0/);
    expect(() => parseHerd('5@later')).toThrow(/not a duration/);
  });
});

describe('closedModel', () => {
  it('starts the viewers evenly over the ramp', () => {
    const t = closedModel({ viewers: 300, rampMs: 20_000, durationMs: 120_000 });
    expect(t.model).toBe('closed');
    expect(t.arrivals).toHaveLength(300);
    expect(t.arrivals[0]).toEqual({ viewer: 0, atMs: 0 });
    expect(t.arrivals[150]?.atMs).toBe(10_000);
    expect(t.arrivals[299]?.atMs).toBeLessThan(20_000);
    // one every 66.7 ms
    const gaps = t.arrivals.slice(1).map((a, i) => a.atMs - (t.arrivals[i]?.atMs as number));
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    expect(t.arrivals.map((a) => a.viewer)).toEqual([...Array(300).keys()]);
  });

  it('starts everyone at once without a ramp', () => {
    const t = closedModel({ viewers: 3, durationMs: 1000 });
    expect(t.arrivals.map((a) => a.atMs)).toEqual([0, 0, 0]);
  });

  it('refuses bad numbers', () => {
    expect(() => closedModel({ viewers: 0, durationMs: 1000 })).toThrow(
      /--viewers must be a whole number above 0/,
    );
    expect(() => closedModel({ viewers: 1.5, durationMs: 1000 })).toThrow(/--viewers/);
    expect(() => closedModel({ viewers: 1, durationMs: 0 })).toThrow(/--duration must be above 0/);
    expect(() => closedModel({ viewers: 1, rampMs: 3000, durationMs: 2000 })).toThrow(
      /--ramp .* is longer than --duration/,
    );
    expect(() => closedModel({ viewers: MAX_ARRIVALS + 1, durationMs: 1000 })).toThrow(
      /over 1,000,000 viewers/,
    );
  });
});

describe('openModel', () => {
  it('is deterministic per seed', () => {
    const a = openModel({ ratePerSecond: 5, durationMs: 60_000, seed: 9 });
    const b = openModel({ ratePerSecond: 5, durationMs: 60_000, seed: 9 });
    const c = openModel({ ratePerSecond: 5, durationMs: 60_000, seed: 10 });
    expect(a).toEqual(b);
    expect(a.arrivals).not.toEqual(c.arrivals);
  });

  it('arrives at the rate, with exponential gaps (Poisson)', () => {
    const rate = 20;
    const t = openModel({ ratePerSecond: rate, durationMs: 1_000_000, seed: 1 });
    const n = t.arrivals.length;
    // 20 000 expected, σ ≈ 141
    expect(Math.abs(n - 20_000)).toBeLessThan(600);
    const gaps = t.arrivals.slice(1).map((a, i) => a.atMs - (t.arrivals[i]?.atMs as number));
    const mean = gaps.reduce((x, y) => x + y, 0) / gaps.length;
    expect(mean).toBeCloseTo(1000 / rate, -0.5);
    // exponential: the standard deviation equals the mean, and P(gap > mean) = 1/e
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
    const longer = gaps.filter((g) => g > mean).length / gaps.length;
    expect(longer).toBeGreaterThan(Math.exp(-1) - 0.02);
    expect(longer).toBeLessThan(Math.exp(-1) + 0.02);
    // counts per second are Poisson: variance ≈ mean
    const perSecond = new Array(1000).fill(0);
    for (const a of t.arrivals) perSecond[Math.floor(a.atMs / 1000)]++;
    const m = perSecond.reduce((x, y) => x + y, 0) / perSecond.length;
    const v = perSecond.reduce((s, x) => s + (x - m) ** 2, 0) / perSecond.length;
    expect(v / m).toBeGreaterThan(0.85);
    expect(v / m).toBeLessThan(1.15);
  });

  it('stays within the run, in order', () => {
    const t = openModel({ ratePerSecond: 50, durationMs: 10_000, seed: 3 });
    expect(t.arrivals.every((a, i) => a.atMs < 10_000 && a.viewer === i)).toBe(true);
    expect(t.arrivals.every((a, i) => i === 0 || a.atMs >= (t.arrivals[i - 1]?.atMs as number))).toBe(true);
  });

  it('refuses a rate of 0 or a plan too large', () => {
    expect(() => openModel({ ratePerSecond: 0, durationMs: 1000, seed: 1 })).toThrow(/--arrival-rate/);
    expect(() => openModel({ ratePerSecond: 10_000, durationMs: 3_600_000, seed: 1 })).toThrow(
      /over 1,000,000/,
    );
  });
});

describe('full-jitter backoff', () => {
  it('draws from [0, min(cap, base·2^attempt))', () => {
    const policy = { baseMs: 100, capMs: 5000 };
    const rng = mulberry32(5);
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(5000, 100 * 2 ** attempt);
      const draws = Array.from({ length: 2000 }, () => fullJitterDelayMs(attempt, policy, rng));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThan(ceiling);
      // uniform: the mean is half the ceiling (full jitter, not "equal jitter")
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(mean / ceiling).toBeGreaterThan(0.45);
      expect(mean / ceiling).toBeLessThan(0.55);
    }
  });

  it('is the extremes for rng 0 and ~1', () => {
    expect(fullJitterDelayMs(3, { baseMs: 100, capMs: 10_000 }, () => 0)).toBe(0);
    expect(fullJitterDelayMs(3, { baseMs: 100, capMs: 10_000 }, () => 0.999999)).toBeCloseTo(800, 2);
    expect(fullJitterDelayMs(10, { baseMs: 100, capMs: 10_000 }, () => 0.5)).toBe(5000);
    expect(() => fullJitterDelayMs(-1, { baseMs: 1, capMs: 1 }, () => 0)).toThrow(RangeError);
  });

  it('gives maxRetries waits', () => {
    expect(retryDelays({ baseMs: 100, capMs: 1000, maxRetries: 4 }, () => 0.5)).toEqual([50, 100, 200, 400]);
    expect(retryDelays({ ...defaultRetry, maxRetries: 0 }, Math.random)).toEqual([]);
  });
});

describe('herd', () => {
  it('sends everyone at T, each with its own retry waits', () => {
    const t = herd({
      viewers: 500,
      atMs: 30_000,
      durationMs: 120_000,
      seed: 1,
      retry: { baseMs: 100, capMs: 3000, maxRetries: 6 },
    });
    expect(t.model).toBe('herd');
    expect(t.arrivals).toHaveLength(500);
    expect(t.arrivals.every((a) => a.atMs === 30_000)).toBe(true);
    for (const a of t.arrivals) {
      expect(a.retryDelaysMs).toHaveLength(6);
      a.retryDelaysMs?.forEach((d, k) => {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(3000, 100 * 2 ** k));
      });
    }
    // the retries spread: the first retries of 500 viewers are not one wave
    const first = new Set(t.arrivals.map((a) => a.retryDelaysMs?.[0]));
    expect(first.size).toBeGreaterThan(50);
  });

  it('is deterministic per seed', () => {
    const o = { viewers: 50, atMs: 1000, durationMs: 10_000, seed: 4, spreadMs: 500 };
    expect(herd(o)).toEqual(herd(o));
    expect(herd(o).arrivals).not.toEqual(herd({ ...o, seed: 5 }).arrivals);
  });

  it('can spread the herd over a window, in arrival order', () => {
    const t = herd({ viewers: 200, atMs: 1000, spreadMs: 1000, durationMs: 10_000, seed: 2 });
    expect(t.arrivals.every((a) => a.atMs >= 1000 && a.atMs <= 2000)).toBe(true);
    expect(t.arrivals.every((a, i) => i === 0 || a.atMs >= (t.arrivals[i - 1]?.atMs as number))).toBe(true);
    expect(t.arrivals.map((a) => a.viewer)).toEqual([...Array(200).keys()]);
  });

  it('refuses a herd after the run or a bad retry policy', () => {
    expect(() => herd({ viewers: 1, atMs: 10_000, durationMs: 10_000, seed: 1 })).toThrow(
      /not before the end/,
    );
    expect(() => herd({ viewers: 1, atMs: 0, durationMs: 1000, seed: 1, retry: { baseMs: 0 } })).toThrow(
      /retry policy/,
    );
    expect(() =>
      herd({ viewers: 1, atMs: 0, durationMs: 1000, seed: 1, retry: { baseMs: 10, capMs: 5 } }),
    ).toThrow(/cap >= base/);
  });
});

describe('zipf', () => {
  it('has probabilities ∝ 1/k^s that sum to 1', () => {
    const p = zipfProbabilities(10, 1.1);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect((p[0] as number) / (p[1] as number)).toBeCloseTo(2 ** 1.1, 9);
    expect((p[0] as number) / (p[9] as number)).toBeCloseTo(10 ** 1.1, 9);
    expect(zipfProbabilities(4, 0)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(zipfProbabilities(1)).toEqual([1]);
  });

  it('samples them (s = 1.1 by default), deterministically per seed', () => {
    const n = 50;
    const draws = 200_000;
    const sample = zipfSampler(n, { rng: mulberry32(11) });
    const counts = new Array(n).fill(0);
    for (let i = 0; i < draws; i++) counts[sample()]++;
    const p = zipfProbabilities(n, 1.1);
    for (let k = 0; k < n; k++) {
      const want = (p[k] as number) * draws;
      // within 5 σ of the binomial
      expect(Math.abs(counts[k] - want)).toBeLessThan(5 * Math.sqrt(want) + 1);
    }
    const again = zipfSampler(n, { rng: mulberry32(11) });
    const replay = zipfSampler(n, { rng: mulberry32(11) });
    expect(Array.from({ length: 100 }, again)).toEqual(Array.from({ length: 100 }, replay));
  });

  it('stays in 0..n-1 at the extremes of the rng', () => {
    expect(zipfSampler(5, { rng: () => 0 })()).toBe(0);
    expect(zipfSampler(5, { rng: () => 0.9999999999 })()).toBe(4);
    expect(zipfSampler(1, { rng: () => 0.5 })()).toBe(0);
  });

  it('refuses no titles or a negative exponent', () => {
    expect(() => zipfProbabilities(0)).toThrow(/titles must be a whole number above 0/);
    expect(() => zipfSampler(3, { s: -1, rng: Math.random })).toThrow(/Zipf exponent/);
  });
});

describe('titles and descriptions', () => {
  it('assigns titles in arrival order and describes a timeline without its arrivals', () => {
    const t = assignTitles(
      closedModel({ viewers: 4, rampMs: 4000, durationMs: 10_000 }),
      zipfSampler(3, { rng: mulberry32(1) }),
    );
    expect(t.arrivals.every((a) => typeof a.title === 'number' && a.title >= 0 && a.title < 3)).toBe(true);
    expect(describeTimeline(t)).toEqual({
      model: 'closed',
      viewers: 4,
      rampMs: 4000,
      durationMs: 10_000,
      arrivals: 4,
      lastArrivalMs: 3000,
    });
  });
});
