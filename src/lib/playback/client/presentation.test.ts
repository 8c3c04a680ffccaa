import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMpd } from './dash.js';
import { renditionsOf, segmentIndexAt, sortLadder, timeline } from './presentation.js';

const goodClip = parseMpd(readFileSync(join(import.meta.dirname, 'testdata', 'good-clip.mpd'), 'utf8'));

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

describe('renditionsOf', () => {
  it('is the ABR ladder, segment bytes estimated from the bitrate', () => {
    const ladder = renditionsOf(goodClip);
    expect(ladder.map((r) => [r.id, r.bitrateBps, r.segments.map((s) => s.durationSeconds)])).toEqual([
      ['240p', 565823, [4, 2]],
      ['360p', 975925, [4, 2]],
    ]);
    expect(ladder[1]?.segments[0]?.bytes).toBe(Math.round((975925 * 4) / 8));
  });

  it('starts at a segment (the bookmark)', () => {
    expect(renditionsOf(goodClip, 1).map((r) => r.segments.length)).toEqual([1, 1]);
  });

  it('refuses a ladder the player cannot switch within', () => {
    const broken = { ...goodClip, video: [goodClip.video[0], { ...goodClip.video[1], segments: [] }] };
    expect(() => renditionsOf(broken as typeof goodClip)).toThrow(/segments/);
  });
});

describe('sortLadder', () => {
  it('orders by bitrate and drops a second track of the same bitrate', () => {
    const t = (id: string, bitrateBps: number) => ({ id, bitrateBps, init: null, segments: [] });
    expect(sortLadder([t('a', 3), t('b', 1), t('c', 3)]).map((x) => x.id)).toEqual(['b', 'a']);
  });
});
