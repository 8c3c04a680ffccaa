import { describe, expect, it } from 'vitest';
import { viewThresholdSeconds, watchedDelta } from './views.js';

describe('views', () => {
  it('needs 30 s of media, or 3/4 of a shorter title', () => {
    expect(viewThresholdSeconds(7200)).toBe(30);
    expect(viewThresholdSeconds(20)).toBe(15);
    expect(viewThresholdSeconds(1.2)).toBeCloseTo(0.9);
  });

  it('adds how far a heartbeat moved forward, and nothing for a seek or a jump back', () => {
    expect(watchedDelta(0, 10, true)).toBe(10);
    expect(watchedDelta(10, 20, false)).toBe(10);
    expect(watchedDelta(20, 600, false)).toBe(0);
    expect(watchedDelta(600, 100, false)).toBe(0);
    // started from 0 although the bookmark said 500: the first heartbeat still counts
    expect(watchedDelta(500, 10, true)).toBe(10);
    expect(watchedDelta(500, 10, false)).toBe(0);
  });
});
