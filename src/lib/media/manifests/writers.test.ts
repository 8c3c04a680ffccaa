import { describe, expect, it } from 'vitest';
import { filesInMpd, parseMpd, writeMpd } from './dash.js';
import { filesInHlsPlaylist, loadHls, parseHlsMaster, writeHlsMaster, writeHlsMediaPlaylist } from './hls.js';
import {
  maxSegmentSeconds,
  type PackagedTrack,
  type PackageModel,
  presentationSeconds,
  trackBitrates,
  videoUnder,
} from './package-model.js';

/** A track of `n` segments of `d` ticks (the last `last` ticks), each of `bytes`. */
function track(
  kind: 'video' | 'audio',
  id: string,
  o: { timescale: number; d: number; n: number; last?: number; bytes: number } & Partial<PackagedTrack>,
): PackagedTrack {
  const dir = `${kind}/${id}/`;
  const segments = Array.from({ length: o.n }, (_, i) => ({
    uri: `${dir}seg-${String(i + 1).padStart(5, '0')}.m4s`,
    start: i * o.d,
    duration: i === o.n - 1 && o.last ? o.last : o.d,
    bytes: o.bytes,
  }));
  const rates = trackBitrates(segments, o.timescale, o.d / o.timescale);
  return {
    kind,
    id,
    dir,
    codecs: kind === 'video' ? 'avc1.64001f' : 'mp4a.40.2',
    init: `${dir}init.mp4`,
    segments,
    peakBitsPerSecond: rates.peak,
    averageBitsPerSecond: rates.average,
    presentationTimeOffset: 0,
    ...o,
  };
}

// 30000/1001 fps, 120 frames a segment (4.004 s), 5 segments; AAC frames of 1024 at 48 kHz
const model: PackageModel = {
  video: [
    track('video', '720p', { timescale: 30000, d: 120120, n: 5, bytes: 1_000_000, width: 1280, height: 720 }),
    track('video', '480p', { timescale: 30000, d: 120120, n: 5, bytes: 500_000, width: 854, height: 480 }),
    track('video', '240p', { timescale: 30000, d: 120120, n: 5, bytes: 100_000, width: 426, height: 240 }),
  ].map((v) => ({ ...v, frameRate: '30000/1001', sar: '1:1' })),
  audio: [
    track('audio', 'stereo', {
      timescale: 48000,
      d: 188 * 1024,
      n: 5,
      last: 184 * 1024,
      bytes: 64_000,
      channels: 2,
      sampleRate: 48000,
      label: 'Stereo',
    }),
    track('audio', 'surround', {
      timescale: 48000,
      d: 188 * 1024,
      n: 5,
      last: 184 * 1024,
      bytes: 192_000,
      channels: 6,
      sampleRate: 48000,
      label: 'Surround 5.1',
    }),
  ],
  subtitles: [
    {
      language: 'en',
      label: 'English',
      default: true,
      forced: false,
      file: 'subtitles/en.vtt',
      playlist: 'subtitles/en.m3u8',
    },
  ],
  displayAspectRatio: '16:9',
};

describe('the manifests written from a package', () => {
  it('state every segment as long as its boxes say, in both HLS and DASH', async () => {
    const files: Record<string, string> = {};
    for (const t of [...model.video, ...model.audio])
      files[`${t.dir}playlist.m3u8`] = writeHlsMediaPlaylist(t);
    const hls = await loadHls(writeHlsMaster(model), async (uri) => files[uri] as string);
    const dash = parseMpd(writeMpd(model));
    for (const p of [hls, dash]) {
      expect(p.video.map((v) => v.id)).toEqual(['240p', '480p', '720p']);
      expect(p.video[0]?.segments.map((s) => s.durationSeconds)).toEqual([4.004, 4.004, 4.004, 4.004, 4.004]);
      expect(p.audio?.segments.map((s) => Number(s.durationSeconds.toFixed(6)))).toEqual([
        4.010667, 4.010667, 4.010667, 4.010667, 3.925333,
      ]);
      expect(p.audio?.init).toBe('audio/stereo/init.mp4');
    }
  });

  it('give the MPD exact durations, rounded up to the millisecond', () => {
    const mpd = writeMpd(model);
    expect(presentationSeconds(model)).toBeCloseTo(20.02, 6);
    expect(maxSegmentSeconds(model)).toBeCloseTo(4.010667, 6);
    expect(mpd).toContain('mediaPresentationDuration="PT20.02S"');
    expect(mpd).toContain('maxSegmentDuration="PT4.011S"');
    expect(mpd).toMatch(/<S t="0" d="120120" r="4" \/>/);
    expect(mpd).toMatch(/<S t="0" d="192512" r="3" \/>\s*<S d="188416" \/>/);
  });

  it('signal every audio track with its channels, and the subtitles, in both', () => {
    const master = writeHlsMaster(model);
    expect(master).toContain('NAME="Stereo",CHANNELS="2",DEFAULT=YES');
    expect(master).toContain('NAME="Surround 5.1",CHANNELS="6",DEFAULT=NO');
    expect(master).toContain('TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en"');
    expect(parseHlsMaster(master).variants.map((v) => v.uri)).toEqual([
      'video/720p/playlist.m3u8',
      'video/480p/playlist.m3u8',
      'video/240p/playlist.m3u8',
    ]);
    const mpd = writeMpd(model);
    expect(mpd).toContain('audio_channel_configuration:2011" value="6"');
    expect(mpd).toContain('<BaseURL>subtitles/en.vtt</BaseURL>');
  });

  it('name only files of the package, one set of segments for both', () => {
    const hls = new Set<string>();
    for (const t of [...model.video, ...model.audio]) {
      for (const f of filesInHlsPlaylist(writeHlsMediaPlaylist(t))) hls.add(`${t.dir}${f}`);
    }
    const dash = new Set(filesInMpd(writeMpd(model)));
    expect([...hls].sort()).toEqual([...dash].filter((f) => !f.endsWith('.vtt')).sort());
    expect(dash.has('video/720p/seg-00005.m4s')).toBe(true);
  });

  it('offer only the renditions up to a cap (and the smallest when the cap is below it)', () => {
    expect(videoUnder(model, 480).map((v) => v.id)).toEqual(['480p', '240p']);
    expect(videoUnder(model, 100).map((v) => v.id)).toEqual(['240p']);
    const capped = writeHlsMaster(model, { maxHeight: 480 });
    expect(parseHlsMaster(capped).variants.map((v) => v.height)).toEqual([480, 240]);
    expect(parseMpd(writeMpd(model, { maxHeight: 480 })).video.map((v) => v.id)).toEqual(['240p', '480p']);
  });
});

describe('trackBitrates', () => {
  const seg = (bytes: number, duration: number) => ({ uri: 'x', start: 0, duration, bytes });
  it('takes the peak over full segments and the average over all', () => {
    expect(trackBitrates([seg(500_000, 4), seg(800_000, 4), seg(100_000, 2)], 1, 4)).toEqual({
      peak: 1_600_000,
      average: 1_120_000,
    });
  });
  it('leaves a few-millisecond tail out of the peak', () => {
    expect(trackBitrates([seg(64_000, 3990), seg(300, 20)], 1000, 4).peak).toBe(
      Math.ceil((64_000 * 8) / 3.99),
    );
  });
  it('falls back to the average when no segment is full length', () => {
    expect(trackBitrates([seg(1000, 1)], 1, 4)).toEqual({ peak: 8000, average: 8000 });
  });
});
