import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBoxes } from './boxes.js';
import { readFragment, readInit } from './fragments.js';

/**
 * Real ffmpeg 5.1 output (dash muxer, CMAF): 96×64 H.264 (x264 veryfast: B-frames) at 25 fps in
 * 1 s segments, and mono AAC at 44.1 kHz. The MPD ffmpeg wrote beside them says the first audio
 * segment lasts 40960 ticks; its boxes hold 41 AAC frames (41984): what flix's manifests must say.
 */
const data = (f: string) => readFileSync(join(import.meta.dirname, 'testdata', f));

describe('reading CMAF tracks', () => {
  it('reads the init segments: track, timescale, codec, picture and sound', () => {
    const v = readInit(data('init-0.m4s'));
    expect(v).toMatchObject({ kind: 'video', timescale: 12800, width: 96, height: 64 });
    expect(v.codecs).toMatch(/^avc1\.[0-9a-f]{6}$/);
    const a = readInit(data('init-1.m4s'));
    expect(a).toMatchObject({
      kind: 'audio',
      timescale: 44100,
      codecs: 'mp4a.40.2',
      channels: 1,
      sampleRate: 44100,
    });
  });

  it("reads a segment's timeline from tfdt and trun", () => {
    const v = readInit(data('init-0.m4s'));
    const s = readFragment(data('seg-0-00001.m4s'), v);
    expect(s).toMatchObject({ baseDecodeTime: 0, duration: 12800, samples: 25, startsWithSync: true });
    // B-frames with signed composition offsets (trun version 1, as CMAF wants): the first frame is
    // shown when it is decoded, and no frame before it
    expect([s.firstPresentationTime, s.earliestPresentationTime]).toEqual([0, 0]);
    const a = readInit(data('init-1.m4s'));
    const a1 = readFragment(data('seg-1-00001.m4s'), a);
    const a2 = readFragment(data('seg-1-00002.m4s'), a);
    expect(a1.baseDecodeTime).toBe(0);
    expect(a1.duration).toBe(41 * 1024);
    // the second segment starts exactly where the first ended
    expect(a2.baseDecodeTime).toBe(a1.duration);
  });

  it('reads brands and sidx', () => {
    const s = readFragment(data('seg-0-00001.m4s'), readInit(data('init-0.m4s')));
    expect(s.brands?.length).toBeGreaterThan(0);
    expect(s.sidx?.duration).toBe(12800);
  });

  it('refuses a cut-off box', () => {
    const cut = data('seg-0-00001.m4s').subarray(0, 1000);
    expect(() => readBoxes(cut)).toThrow(/claims/);
  });
});
