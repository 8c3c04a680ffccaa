import { describe, expect, it } from 'vitest';
import { durationMatches, keyframeProblems, segmentBoundaries } from './validate.js';

describe('durationMatches', () => {
  it('accepts a difference of up to one segment, either way', () => {
    expect(durationMatches(60, 60, 4)).toBe(true);
    expect(durationMatches(60, 56.1, 4)).toBe(true);
    expect(durationMatches(60, 64, 4)).toBe(true);
    expect(durationMatches(60, 55.9, 4)).toBe(false);
    expect(durationMatches(60, 64.01, 4)).toBe(false);
    expect(durationMatches(60, Number.NaN, 4)).toBe(false);
  });
});

describe('segmentBoundaries', () => {
  it('starts a segment every segment length until the end', () => {
    expect(segmentBoundaries(10, 4)).toEqual([0, 4, 8]);
    expect(segmentBoundaries(8, 4)).toEqual([0, 4]);
    expect(segmentBoundaries(2, 4)).toEqual([0]);
  });
});

describe('keyframeProblems', () => {
  const frame = 1 / 30;
  it('is happy with a keyframe at every boundary and nowhere else', () => {
    expect(keyframeProblems([0, 4, 8], [0, 4, 8], frame / 2)).toEqual([]);
  });

  it('measures from the first keyframe (fMP4 read through HLS starts at the B-frame delay)', () => {
    expect(keyframeProblems([0.066667, 4.066667, 8.066667], [0, 4, 8], frame / 2)).toEqual([]);
  });

  it('reports a missing keyframe and a stray (scene-cut) keyframe', () => {
    expect(keyframeProblems([0, 4, 5.5], [0, 4, 8], frame / 2)).toEqual([
      'no keyframe where the segment at 8.000 s starts',
      'keyframe at 5.500 s is not on a segment boundary',
    ]);
  });

  it('does not accept a keyframe one frame off', () => {
    expect(keyframeProblems([0, 4 + frame], [0, 4], frame / 2)).toHaveLength(2);
  });

  it('reports a file without keyframes', () => {
    expect(keyframeProblems([], [0], 0.01)).toEqual(['no keyframes at all']);
  });
});
