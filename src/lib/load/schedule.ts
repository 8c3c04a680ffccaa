/**
 * When each virtual viewer arrives, worked out in advance as a timeline from a seed, so a run can
 * be repeated exactly and a test can check the plan without a clock:
 *
 * - closed model (`--viewers 300 --ramp 20s --duration 2m`): a fixed number of viewers, started
 *   evenly over the ramp; each plays again when a play ends, until the end (the runner's loop).
 * - open model (`--arrival-rate 5/s`): viewers arrive on their own, a Poisson process — the
 *   number in flight grows when the cluster slows down, as real demand does (a closed model
 *   hides that: slow answers slow the arrivals).
 * - herd (`--herd 500@30s`): everyone at once (a live premiere, a reconnect after an outage); a
 *   viewer whose play fails retries after exponential backoff with full jitter (AWS architecture
 *   blog): sleep = random(0, min(cap, base·2^attempt)), which spreads the retries out instead of
 *   sending the herd back in waves.
 *
 * Also: a small seeded PRNG (mulberry32), a Zipf sampler for which title a viewer picks (a few
 * titles take most of the views), and `parseDuration` for the flags.
 */
import { FlixError } from '../core/errors.js';

/** A source of uniform numbers in [0, 1), like Math.random. */
export type Rng = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG; good enough for schedules (not for secrets). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit seed from a number or a text (`--seed nightly`), FNV-1a for texts. */
export function seedFrom(seed: number | string): number {
  if (typeof seed === 'number') return seed >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * An independent generator for stream `n` of a seed (viewer n's retries), so what one viewer
 * draws does not depend on how many numbers the others drew, nor in which order they ran.
 */
export function forkRng(seed: number, n: number): Rng {
  const mixed = mulberry32((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  mixed();
  return mixed;
}

// ---------------------------------------------------------------------------------------------
// durations

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * `300ms`, `40s`, `2m`, `1h`, `1m30s`, `1.5s`, or plain seconds (`45`, as `flix play --duration`
 * takes them) → milliseconds (>= 0). A usage FlixError names `what` (the flag) otherwise.
 * (`parseTtl` in ops and `parseMediaDuration` in the player give whole or media seconds, and
 * neither takes milliseconds, which latency and retry delays need.)
 */
export function parseDuration(text: string, what = 'duration'): number {
  const t = text.trim().toLowerCase();
  let ms = Number.NaN;
  if (/^\d+(?:\.\d+)?$/.test(t)) ms = Number(t) * 1000;
  else if (t !== '' && /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(t)) {
    ms = 0;
    const seen = new Set<string>();
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      const unit = m[2] as keyof typeof UNIT_MS;
      if (seen.has(unit)) ms = Number.NaN;
      seen.add(unit);
      ms += Number(m[1]) * UNIT_MS[unit];
    }
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw new FlixError(`${what}: "${text}" is not a duration`, {
      code: 'usage',
      nextStep: 'write it like 300ms, 40s, 2m, 1m30s, 1h or 45 (seconds)',
    });
  }
  return Math.round(ms * 1000) / 1000;
}

/** `5/s`, `300/m`, `2.5` (per second) → arrivals per second (> 0). */
export function parseArrivalRate(text: string, what = '--arrival-rate'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text.toLowerCase());
  const perSecond = m
    ? Number(m[1]) / { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h']
    : Number.NaN;
  if (!(perSecond > 0)) {
    throw new FlixError(`${what}: "${text}" is not an arrival rate`, {
      code: 'usage',
      nextStep: 'write it like 5/s, 300/m or 2.5 (per second), above 0',
    });
  }
  return perSecond;
}

/** `500@30s` → 500 viewers arriving 30 s into the run. */
export function parseHerd(text: string, what = '--herd'): { viewers: number; atMs: number } {
  const m = /^\s*(\d+)\s*@\s*(\S+)\s*$/.exec(text);
  if (!m) {
    throw new FlixError(`${what}: "${text}" is not VIEWERS@TIME`, {
      code: 'usage',
      nextStep: 'write it like 500@30s: 500 viewers at 30 s into the run',
    });
  }
  return { viewers: positiveInt(Number(m[1]), `${what} viewers`), atMs: parseDuration(m[2] as string, what) };
}

// ---------------------------------------------------------------------------------------------
// timelines

/** One viewer's arrival. */
export interface Arrival {
  /** 0, 1, 2, ... in arrival order. */
  viewer: number;
  /** ms into the run. */
  atMs: number;
  /** Index of the title it plays (from a Zipf sampler), when the timeline was given one. */
  title?: number;
  /** Herd: the waits before each retry of a failed play, in order (full jitter). */
  retryDelaysMs?: number[];
}

export type Timeline =
  | { model: 'closed'; viewers: number; rampMs: number; durationMs: number; arrivals: Arrival[] }
  | { model: 'open'; ratePerSecond: number; durationMs: number; seed: number; arrivals: Arrival[] }
  | {
      model: 'herd';
      viewers: number;
      atMs: number;
      spreadMs: number;
      durationMs: number;
      seed: number;
      retry: RetryPolicy;
      arrivals: Arrival[];
    };

/** Exponential backoff with full jitter: wait random(0, min(capMs, baseMs·2^attempt)). */
export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Retries after the first attempt (0: none). */
  maxRetries: number;
}

export const defaultRetry: RetryPolicy = { baseMs: 200, capMs: 20_000, maxRetries: 5 };

/** No timeline is planned with more arrivals than this: it would be a typo, not a test. */
export const MAX_ARRIVALS = 1_000_000;

function positiveInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new FlixError(`${what} must be a whole number above 0, not ${n}`, { code: 'usage' });
  }
  return n;
}

function checkDuration(ms: number, what: string, allowZero = false): number {
  if (!Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0)) {
    throw new FlixError(`${what} must be ${allowZero ? 'at least 0' : 'above 0'}, not ${ms} ms`, {
      code: 'usage',
    });
  }
  return ms;
}

function tooMany(n: number): FlixError {
  return new FlixError(`the schedule would start over ${MAX_ARRIVALS.toLocaleString('en')} viewers (${n}+)`, {
    code: 'usage',
    nextStep: 'lower the viewers, the arrival rate or the duration',
  });
}

/**
 * Closed model: viewer i (0-based) starts at ramp·i/viewers, so the first starts at once and all
 * are playing by the end of the ramp; each plays again when its play ends, until `durationMs`.
 */
export function closedModel(o: { viewers: number; rampMs?: number; durationMs: number }): Timeline {
  const viewers = positiveInt(o.viewers, '--viewers');
  if (viewers > MAX_ARRIVALS) throw tooMany(viewers);
  const durationMs = checkDuration(o.durationMs, '--duration');
  const rampMs = checkDuration(o.rampMs ?? 0, '--ramp', true);
  if (rampMs > durationMs) {
    throw new FlixError(`--ramp (${rampMs} ms) is longer than --duration (${durationMs} ms)`, {
      code: 'usage',
      nextStep: 'ramp up within the run: make --ramp shorter than --duration',
    });
  }
  const arrivals = Array.from({ length: viewers }, (_, i) => ({
    viewer: i,
    atMs: Math.round((rampMs * i) / viewers),
  }));
  return { model: 'closed', viewers, rampMs, durationMs, arrivals };
}

/** Open model: Poisson arrivals at `ratePerSecond` (exponential gaps) over `[0, durationMs)`. */
export function openModel(o: { ratePerSecond: number; durationMs: number; seed: number }): Timeline {
  if (!(o.ratePerSecond > 0) || !Number.isFinite(o.ratePerSecond)) {
    throw new FlixError(`--arrival-rate must be above 0, not ${o.ratePerSecond}`, { code: 'usage' });
  }
  const durationMs = checkDuration(o.durationMs, '--duration');
  if ((o.ratePerSecond * durationMs) / 1000 > MAX_ARRIVALS)
    throw tooMany(Math.round((o.ratePerSecond * durationMs) / 1000));
  const seed = seedFrom(o.seed);
  const rng = mulberry32(seed);
  const meanGapMs = 1000 / o.ratePerSecond;
  const arrivals: Arrival[] = [];
  for (let t = -Math.log(1 - rng()) * meanGapMs; t < durationMs; t += -Math.log(1 - rng()) * meanGapMs) {
    if (arrivals.length >= MAX_ARRIVALS) throw tooMany(arrivals.length);
    arrivals.push({ viewer: arrivals.length, atMs: Math.round(t * 1000) / 1000 });
  }
  return { model: 'open', ratePerSecond: o.ratePerSecond, durationMs, seed, arrivals };
}

/** The wait before retry `attempt` (0 for the first retry): random(0, min(cap, base·2^attempt)). */
export function fullJitterDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  rng: Rng,
): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt must be an integer >= 0, not ${attempt}`);
  return rng() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
}

/** Every retry wait of one viewer, in order. */
export function retryDelays(policy: RetryPolicy, rng: Rng): number[] {
  return Array.from({ length: policy.maxRetries }, (_, k) => Math.round(fullJitterDelayMs(k, policy, rng)));
}

/**
 * Herd: every viewer at `atMs` (or spread uniformly over `[atMs, atMs + spreadMs)`), each with
 * its retry waits drawn from its own stream of the seed.
 */
export function herd(o: {
  viewers: number;
  atMs: number;
  durationMs: number;
  seed: number;
  spreadMs?: number;
  retry?: Partial<RetryPolicy>;
}): Timeline {
  const viewers = positiveInt(o.viewers, 'herd viewers');
  if (viewers > MAX_ARRIVALS) throw tooMany(viewers);
  const durationMs = checkDuration(o.durationMs, '--duration');
  const atMs = checkDuration(o.atMs, 'the herd time', true);
  const spreadMs = checkDuration(o.spreadMs ?? 0, 'the herd spread', true);
  if (atMs >= durationMs) {
    throw new FlixError(`the herd arrives at ${atMs} ms, not before the end of the run (${durationMs} ms)`, {
      code: 'usage',
      nextStep: 'make --herd earlier or --duration longer',
    });
  }
  const retry = { ...defaultRetry, ...o.retry };
  if (
    !(retry.baseMs > 0) ||
    !(retry.capMs >= retry.baseMs) ||
    !Number.isInteger(retry.maxRetries) ||
    retry.maxRetries < 0
  ) {
    throw new FlixError(
      `retry policy ${JSON.stringify(retry)}: want base > 0, cap >= base, a whole number of retries`,
      {
        code: 'usage',
      },
    );
  }
  const seed = seedFrom(o.seed);
  const spread = mulberry32(seed);
  const arrivals = Array.from({ length: viewers }, (_, viewer) => ({
    viewer,
    atMs: spreadMs > 0 ? atMs + Math.round(spread() * spreadMs) : atMs,
    retryDelaysMs: retryDelays(retry, forkRng(seed, viewer)),
  }))
    .sort((a, b) => a.atMs - b.atMs || a.viewer - b.viewer)
    .map((a, i) => ({ ...a, viewer: i }));
  return { model: 'herd', viewers, atMs, spreadMs, durationMs, seed, retry, arrivals };
}

/** The timeline with a title for every arrival, drawn in arrival order. */
export function assignTitles<T extends Timeline>(timeline: T, pickTitle: () => number): T {
  return { ...timeline, arrivals: timeline.arrivals.map((a) => ({ ...a, title: pickTitle() })) };
}

/** A timeline as a report shows it: its parameters, with the number of arrivals instead of them. */
export type TimelinePlan = Timeline extends infer T
  ? T extends Timeline
    ? Omit<T, 'arrivals'> & { arrivals: number; lastArrivalMs: number }
    : never
  : never;

/** A timeline without its arrivals, for the report (the arrivals can be many). */
export function describeTimeline(t: Timeline): TimelinePlan {
  const { arrivals, ...rest } = t;
  return { ...rest, arrivals: arrivals.length, lastArrivalMs: arrivals.at(-1)?.atMs ?? 0 } as TimelinePlan;
}

// ---------------------------------------------------------------------------------------------
// titles

/** P(rank k) ∝ 1/k^s for k = 1..n: the share of views of each title, most popular first. */
export function zipfProbabilities(n: number, s = 1.1): number[] {
  positiveInt(n, 'the number of titles');
  if (!(s >= 0) || !Number.isFinite(s)) {
    throw new FlixError(`the Zipf exponent must be a number >= 0, not ${s}`, { code: 'usage' });
  }
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/**
 * Draws title indexes 0..n-1 (0 the most popular) with Zipf(s) probabilities: s = 1.1 by default,
 * about what video catalogues show; s = 0 is uniform. O(log n) per draw.
 */
export function zipfSampler(n: number, opts: { s?: number; rng: Rng }): () => number {
  const p = zipfProbabilities(n, opts.s ?? 1.1);
  const cdf: number[] = [];
  let sum = 0;
  for (const x of p) {
    sum += x;
    cdf.push(sum);
  }
  cdf[n - 1] = 1;
  return () => {
    const u = opts.rng();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < (cdf[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
