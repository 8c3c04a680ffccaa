import { describe, expect, it } from 'vitest';
import { parseBandwidthProfile } from './bandwidth.js';
import { defaultAbrOptions } from './choose.js';
import { constantBitrateRendition } from './renditions.js';
import { type PlaybackReport, simulatePlayback } from './simulate.js';

/** flix's ladder for a 1080p source (src/lib/media/ladder.ts), 4 s segments, 2 minutes. */
const title = { durationSeconds: 120, segmentSeconds: 4 };
const ladder = (
  [
    ['240p', 450e3],
    ['360p', 860e3],
    ['480p', 1_370e3],
    ['720p', 2_610e3],
    ['1080p', 5_000e3],
  ] as const
).map(([id, bitrate]) => constantBitrateRendition(id, bitrate, title));

const play = (profile: string, playSeconds?: number) =>
  simulatePlayback(ladder, parseBandwidthProfile(profile), { playSeconds });

/** Session time always adds up: waiting to start, playing, and stalls. */
function expectTimeAddsUp(r: PlaybackReport) {
  expect(r.wallSeconds).toBeCloseTo((r.startupSeconds ?? 0) + r.playedSeconds + r.rebufferSeconds, 6);
  expect(r.renditions.reduce((sum, x) => sum + x.playedSeconds, 0)).toBeCloseTo(r.playedSeconds, 6);
}

describe('simulatePlayback', () => {
  it('ends on the top rendition with no rebuffering on a steady fast link', () => {
    const r = play('20mbps');
    expect(r).toMatchObject({ completed: true, playedSeconds: 120, rebufferSeconds: 0, rebufferCount: 0 });
    expect(r.finalRendition).toBe('1080p');
    expect(r.startupSeconds).toBeLessThan(0.5);
    expect(r.switches.every((s) => s.reason === 'throughput-rise')).toBe(true);
    expect(r.renditions.find((x) => x.id === '1080p')?.playedSeconds).toBeGreaterThan(100);
    expect(r.bytes).toBe(r.downloads.reduce((sum, d) => sum + d.bytes, 0));
    expectTimeAddsUp(r);
  });

  it('switches down within a couple of segments of a drop to 800 kbps, without rebuffering', () => {
    const r = play('6mbps,800kbps@40s');
    const before = r.downloads.filter((d) => d.startSeconds < 40);
    expect(before.at(-1)?.rendition).toBe('720p');
    const after = r.downloads.filter((d) => d.startSeconds >= 40);
    const firstDown = after.findIndex((d) => d.reason === 'throughput-drop');
    expect(firstDown).toBeGreaterThanOrEqual(0);
    expect(firstDown).toBeLessThanOrEqual(1);
    expect(r.finalRendition).toBe('240p'); // the only one 800 kbps carries with room to spare
    expect(r.rebufferSeconds).toBe(0);
    expect(r.completed).toBe(true);
    expectTimeAddsUp(r);
  });

  it('switches up after a rise only once the buffer is healthy', () => {
    const r = play('800kbps,6mbps@30s');
    const ups = r.switches.filter((s) => s.reason === 'throughput-rise');
    expect(ups.length).toBeGreaterThan(0);
    expect(ups[0]?.atSeconds).toBeGreaterThanOrEqual(30);
    for (const s of ups) expect(s.bufferSeconds).toBeGreaterThanOrEqual(defaultAbrOptions.upBufferSeconds);
    expect(r.rebufferSeconds).toBe(0);
    expect(r.finalRendition).not.toBe('240p');
  });

  it('never switches up with a low buffer, even right after a stall on a fast link', () => {
    const r = play('20mbps,0bps@30s,20mbps@70s');
    expect(r.rebufferCount).toBe(1);
    expect(r.rebufferSeconds).toBeGreaterThan(0);
    for (const s of r.switches.filter((x) => x.reason === 'throughput-rise')) {
      expect(s.bufferSeconds).toBeGreaterThanOrEqual(defaultAbrOptions.upBufferSeconds);
    }
    expect(r.completed).toBe(true);
    expectTimeAddsUp(r);
  });

  it('rides out an outage shorter than its buffer', () => {
    const r = play('20mbps,0bps@30s,20mbps@45s');
    expect(r.rebufferSeconds).toBe(0);
    expect(r.finalRendition).toBe('1080p');
  });

  it('stops, incomplete, when the link goes down for good', () => {
    const r = play('5mbps,0bps@20s');
    expect(r.completed).toBe(false);
    expect(r.playedSeconds).toBeLessThan(120);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('plays only the requested seconds and fetches no more than needed', () => {
    const r = play('3mbps', 30);
    expect(r.playedSeconds).toBe(30);
    expect(r.downloads).toHaveLength(8); // 7.5 segments of 4 s
    expectTimeAddsUp(r);
  });

  it('is deterministic', () => {
    expect(play('3mbps,800kbps@10s,6mbps@20s')).toEqual(play('3mbps,800kbps@10s,6mbps@20s'));
  });
});
