import { describe, expect, it } from 'vitest';
import { FlixError } from '../../core/errors.js';
import {
  constantBandwidth,
  downloadSeconds,
  formatBandwidthProfile,
  parseBandwidthProfile,
  rateAt,
} from './bandwidth.js';

const problem = (text: string): string => {
  try {
    parseBandwidthProfile(text);
  } catch (e) {
    expect(e).toBeInstanceOf(FlixError);
    expect((e as FlixError).exitCode).toBe(2);
    return (e as FlixError).message;
  }
  throw new Error(`"${text}" was accepted`);
};

describe('parseBandwidthProfile', () => {
  it('reads rates with start times', () => {
    expect(parseBandwidthProfile('3mbps,800kbps@10s,6mbps@20s')).toEqual([
      { startSeconds: 0, bitsPerSecond: 3_000_000 },
      { startSeconds: 10, bitsPerSecond: 800_000 },
      { startSeconds: 20, bitsPerSecond: 6_000_000 },
    ]);
  });

  it('accepts any case, decimals, spaces, bps, an explicit @0s and an outage', () => {
    expect(parseBandwidthProfile(' 1.5Mbps@0s , 500BPS@2.5s, 0kbps@4s ')).toEqual([
      { startSeconds: 0, bitsPerSecond: 1_500_000 },
      { startSeconds: 2.5, bitsPerSecond: 500 },
      { startSeconds: 4, bitsPerSecond: 0 },
    ]);
  });

  it('says what is wrong with a bad entry', () => {
    expect(problem('3mbps,800kbs@10s')).toBe('"800kbs" is not a rate like 800kbps');
    expect(problem('fast')).toBe('"fast" is not a rate like 800kbps');
    expect(problem('-3mbps')).toBe('"-3mbps" is not a rate like 800kbps');
    expect(problem('3mbps,800kbps@10')).toBe('"10" in "800kbps@10" is not a time like 10s');
    expect(problem('3mbps,800kbps')).toBe(
      '"800kbps" needs a start time, like 800kbps@10s (only the first rate starts at 0 without one)',
    );
    expect(problem('3mbps@5s,1mbps@10s')).toBe('the first rate starts at 0s, but "3mbps@5s" starts at 5s');
    expect(problem('3mbps,1mbps@20s,2mbps@10s')).toBe(
      '"2mbps@10s" starts at 10s, not after the rate before it (at 20s)',
    );
    expect(problem('3mbps,1mbps@1s@2s')).toBe('"1mbps@1s@2s" has more than one @');
    expect(problem('3mbps,')).toBe('entry 2 is empty');
    expect(problem('  ')).toBe('the bandwidth profile is empty');
  });

  it('names the profile and shows the form to use', () => {
    try {
      parseBandwidthProfile('3mbps,800kbs@10s');
    } catch (e) {
      expect((e as FlixError).render()).toBe(
        [
          '"800kbs" is not a rate like 800kbps',
          'in the bandwidth profile "3mbps,800kbs@10s"',
          'Next: write rates like 3mbps,800kbps@10s,6mbps@20s (units bps, kbps, mbps; @<seconds>s says when a rate starts)',
        ].join('\n'),
      );
    }
  });

  it('formats a profile back into the form it reads', () => {
    const text = '3mbps,800kbps@10s,1.25mbps@20.5s,90bps@30s';
    expect(formatBandwidthProfile(parseBandwidthProfile(text))).toBe(text);
  });
});

describe('rateAt', () => {
  const p = parseBandwidthProfile('3mbps,800kbps@10s,6mbps@20s');
  it('gives the rate in force at a time, changes taking effect at their start', () => {
    expect(rateAt(p, 0)).toBe(3e6);
    expect(rateAt(p, 9.99)).toBe(3e6);
    expect(rateAt(p, 10)).toBe(8e5);
    expect(rateAt(p, 25)).toBe(6e6);
    expect(rateAt(p, -1)).toBe(3e6);
  });
});

describe('downloadSeconds', () => {
  const p = parseBandwidthProfile('8mbps,800kbps@10s,6mbps@20s');
  it('divides by the rate within one step', () => {
    expect(downloadSeconds(p, 1_000_000, 0)).toBeCloseTo(1, 9);
    expect(downloadSeconds(constantBandwidth(4e6), 500_000, 123)).toBeCloseTo(1, 9);
    expect(downloadSeconds(p, 0, 5)).toBe(0);
  });

  it('integrates across rate changes', () => {
    // from 9 s: 1 s at 8 Mbit/s (8 Mbit), then 10 s at 800 kbit/s (8 Mbit), then 6 Mbit/s
    expect(downloadSeconds(p, 2_000_000, 9)).toBeCloseTo(11, 9);
    expect(downloadSeconds(p, 2_750_000, 9)).toBeCloseTo(12, 9);
  });

  it('waits out an outage and is Infinity when the link never comes back', () => {
    const outage = parseBandwidthProfile('8mbps,0bps@1s,8mbps@5s');
    expect(downloadSeconds(outage, 2_000_000, 0)).toBeCloseTo(6, 9);
    expect(downloadSeconds(parseBandwidthProfile('8mbps,0bps@1s'), 2_000_000, 0)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
