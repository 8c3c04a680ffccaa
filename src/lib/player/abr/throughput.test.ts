import { describe, expect, it } from 'vitest';
import {
  addThroughputSample,
  createThroughputEstimator,
  estimateThroughput,
  type ThroughputSample,
  type ThroughputState,
} from './throughput.js';

const feed = (state: ThroughputState, samples: ThroughputSample[]) =>
  samples.reduce(addThroughputSample, state);
/** A download of `seconds` at `bps`. */
const at = (bps: number, seconds: number): ThroughputSample => ({ bytes: (bps * seconds) / 8, seconds });

describe('throughput estimate', () => {
  it('has no estimate until enough bytes were sampled', () => {
    const e = createThroughputEstimator();
    expect(estimateThroughput(e)).toBeUndefined();
    const one = addThroughputSample(e, { bytes: 100_000, seconds: 0.1 });
    expect(estimateThroughput(one)).toBeUndefined();
    expect(estimateThroughput(addThroughputSample(one, { bytes: 100_000, seconds: 0.1 }))).toBeCloseTo(
      8e6,
      0,
    );
  });

  it('ignores tiny samples and samples without a duration', () => {
    const e = feed(createThroughputEstimator(), [at(4e6, 1)]);
    const after = feed(e, [
      { bytes: 1_000, seconds: 0.0001 },
      { bytes: 50_000, seconds: 0 },
      { bytes: 50_000, seconds: Number.NaN },
    ]);
    expect(after).toBe(e);
  });

  it('reads a steady link exactly, without bias towards zero', () => {
    const e = feed(createThroughputEstimator(), [at(5e6, 0.5), at(5e6, 0.5), at(5e6, 0.5)]);
    expect(estimateThroughput(e)).toBeCloseTo(5e6, 0);
  });

  it('falls quickly on a drop and rises slowly on a recovery (min of fast and slow)', () => {
    // the same 4 s of download at the new rate, after a long time at the old one
    const steady = feed(
      createThroughputEstimator(),
      Array.from({ length: 10 }, () => at(6e6, 4)),
    );
    const dropped = estimateThroughput(feed(steady, [at(1e6, 4)])) ?? 0;
    const low = feed(
      createThroughputEstimator(),
      Array.from({ length: 10 }, () => at(1e6, 4)),
    );
    const risen = estimateThroughput(feed(low, [at(6e6, 4)])) ?? 0;
    const fellBy = (6e6 - dropped) / 5e6;
    const roseBy = (risen - 1e6) / 5e6;
    expect(fellBy).toBeGreaterThan(0.55); // the fast average: 3 s half-life
    expect(roseBy).toBeLessThan(0.3); // the slow average: 9 s half-life
    expect(roseBy).toBeGreaterThan(0.2);
  });

  it('weights a sample by its duration', () => {
    const base = feed(createThroughputEstimator(), [at(1e6, 10)]);
    const short = estimateThroughput(feed(base, [at(8e6, 0.2)])) ?? 0;
    const long = estimateThroughput(feed(base, [at(8e6, 5)])) ?? 0;
    expect(short).toBeLessThan(long);
  });
});
