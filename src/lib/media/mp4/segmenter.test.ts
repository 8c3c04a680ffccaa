import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBoxes, readBrands } from './boxes.js';
import { readFragment, readInit } from './fragments.js';
import { cutsAtSync, cutsNearest, isSync, readSamples, writeSegments } from './segmenter.js';

const data = (f: string) => readFileSync(join(import.meta.dirname, 'testdata', f));

describe('re-cutting a CMAF track', () => {
  const audioInit = readInit(data('init-1.m4s'));
  const audio = readSamples([data('seg-1-00001.m4s'), data('seg-1-00002.m4s')], audioInit);

  it('reads every sample with its decode time, duration and bytes', () => {
    expect(audio.length).toBe(41 + 44);
    expect(audio.every((s) => s.duration === 1024 && s.data.length > 0)).toBe(true);
    expect(audio[41]?.decodeTime).toBe(41 * 1024);
  });

  it('cuts audio on the AAC frame nearest each video boundary', () => {
    // 1.0 s at 44.1 kHz is frame 43.07: the nearest frame start is 43 (0.99846 s), not ffmpeg's 41
    expect(cutsNearest(audio, 44100, [1])).toEqual([0, 43]);
    expect(cutsNearest(audio, 44100, [1.01])).toEqual([0, 43]);
    expect(cutsNearest(audio, 44100, [1.012])).toEqual([0, 44]);
  });

  it('writes segments that read back exactly as cut, with CMAF brands and no sidx', () => {
    const segments = writeSegments(audioInit.trackId, audio, [0, 43]);
    const [a, b] = segments.map((s) => readFragment(s, audioInit));
    expect(a).toMatchObject({
      baseDecodeTime: 0,
      duration: 43 * 1024,
      samples: 43,
      startsWithSync: true,
      sidx: null,
    });
    expect(b).toMatchObject({ baseDecodeTime: 43 * 1024, duration: 42 * 1024, samples: 42 });
    const styp = readBoxes(segments[0] as Buffer)[0];
    expect(styp?.type).toBe('styp');
    expect(readBrands(styp as never).compatible).toContain('cmfs');
    // the very bytes of every frame, in order
    expect(Buffer.concat(readSamples(segments, audioInit).map((s) => s.data))).toEqual(
      Buffer.concat(audio.map((s) => s.data)),
    );
  });

  it('keeps video samples and their signed composition offsets, cutting only on sync samples', () => {
    const vInit = readInit(data('init-0.m4s'));
    const video = readSamples([data('seg-0-00001.m4s')], vInit);
    expect(isSync(video[0] as never)).toBe(true);
    expect(video.some((s) => s.compositionOffset < 0)).toBe(true);
    // no sync sample after the first in one GOP: one segment
    expect(cutsAtSync(video, vInit.timescale, [0.5])).toEqual([0]);
    const [seg] = writeSegments(vInit.trackId, video, [0]);
    const again = readSamples([seg as Buffer], vInit);
    expect(again.map((s) => [s.decodeTime, s.duration, s.compositionOffset, s.flags, s.data.length])).toEqual(
      video.map((s) => [s.decodeTime, s.duration, s.compositionOffset, s.flags, s.data.length]),
    );
  });
});
