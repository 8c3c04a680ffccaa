/**
 * Throughput estimation as in shaka-player and hls.js: two exponentially weighted moving averages
 * of the measured rate, weighted by each download's duration, one fast and one slow; the estimate
 * is the smaller, so it falls as fast as the fast one and rises as slowly as the slow one.
 */

/** Tuning of the estimator (defaults are hls.js's for video on demand). */
export interface ThroughputOptions {
  /** Half-life of the fast average, seconds of download. Default 3. */
  fastHalfLifeSeconds: number;
  /** Half-life of the slow average, seconds of download. Default 9. */
  slowHalfLifeSeconds: number;
  /** Samples smaller than this are ignored: their time is mostly latency. Default 16 000. */
  minSampleBytes: number;
  /** No estimate until this many bytes were sampled. Default 128 000. */
  minTotalBytes: number;
}

/** Default ThroughputOptions. */
export const defaultThroughputOptions: ThroughputOptions = {
  fastHalfLifeSeconds: 3,
  slowHalfLifeSeconds: 9,
  minSampleBytes: 16_000,
  minTotalBytes: 128_000,
};

/** One download: how many bytes arrived in how many seconds. */
export interface ThroughputSample {
  bytes: number;
  seconds: number;
}

interface Ewma {
  halfLife: number;
  estimate: number;
  totalWeight: number;
}

/** The estimator's state (plain data): pass it in, get the next one back. */
export interface ThroughputState {
  readonly options: ThroughputOptions;
  readonly fast: Ewma;
  readonly slow: Ewma;
  readonly sampledBytes: number;
}

/** A fresh estimator with no samples. */
export function createThroughputEstimator(options: Partial<ThroughputOptions> = {}): ThroughputState {
  const o = { ...defaultThroughputOptions, ...options };
  if (!(o.fastHalfLifeSeconds > 0 && o.slowHalfLifeSeconds > 0))
    throw new RangeError('half-lives must be > 0');
  return {
    options: o,
    fast: { halfLife: o.fastHalfLifeSeconds, estimate: 0, totalWeight: 0 },
    slow: { halfLife: o.slowHalfLifeSeconds, estimate: 0, totalWeight: 0 },
    sampledBytes: 0,
  };
}

function sample(e: Ewma, weight: number, value: number): Ewma {
  const alpha = 0.5 ** (weight / e.halfLife);
  return { ...e, estimate: value * (1 - alpha) + alpha * e.estimate, totalWeight: e.totalWeight + weight };
}

/** Undoes the bias towards the initial 0 while few samples are in (the "zero factor"). */
function read(e: Ewma): number {
  return e.estimate / (1 - 0.5 ** (e.totalWeight / e.halfLife));
}

/** Adds a download; ignores one below `minSampleBytes` or without a positive duration. */
export function addThroughputSample(state: ThroughputState, s: ThroughputSample): ThroughputState {
  if (s.bytes < state.options.minSampleBytes || !(s.seconds > 0) || !Number.isFinite(s.seconds)) return state;
  const bps = (s.bytes * 8) / s.seconds;
  return {
    ...state,
    fast: sample(state.fast, s.seconds, bps),
    slow: sample(state.slow, s.seconds, bps),
    sampledBytes: state.sampledBytes + s.bytes,
  };
}

/** The estimate in bits/s: min(fast, slow); undefined until `minTotalBytes` were sampled. */
export function estimateThroughput(state: ThroughputState): number | undefined {
  if (state.sampledBytes < state.options.minTotalBytes) return undefined;
  return Math.min(read(state.fast), read(state.slow));
}
