import { describe, expect, it } from 'vitest';
import { segmentIndexAt, sortLadder, timeline } from './presentation.js';

describe('segmentIndexAt', () => {
  const segs = timeline([
    { uri: 'a', durationSeconds: 4 },
    { uri: 'b', durationSeconds: 4 },
    { uri: 'c', durationSeconds: 2 },
  ]);
  it('finds the segment holding a position (a bookmark)', () => {
    expect([0, -1, 3.99, 4, 7.5, 9.9].map((t) => segmentIndexAt(segs, t))).toEqual([0, 0, 0, 1, 1, 2]);
  });
  it('gives the last segment past the end', () => {
    expect(segmentIndexAt(segs, 10)).toBe(2);
    expect(segmentIndexAt(segs, 99)).toBe(2);
  });
});

describe('sortLadder', () => {
  it('orders by bitrate and drops a second track of the same bitrate', () => {
    const t = (id: string, bitrateBps: number) => ({ id, bitrateBps, init: null, segments: [] });
    expect(sortLadder([t('a', 3), t('b', 1), t('c', 3)]).map((x) => x.id)).toEqual(['b', 'a']);
  });
});
