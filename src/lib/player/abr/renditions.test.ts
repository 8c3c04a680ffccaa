import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMpd } from '../../media/manifests/dash.js';
import { renditionsOf } from './renditions.js';

const goodClip = parseMpd(
  readFileSync(
    join(import.meta.dirname, '..', '..', 'media', 'manifests', 'testdata', 'good-clip.mpd'),
    'utf8',
  ),
);

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
