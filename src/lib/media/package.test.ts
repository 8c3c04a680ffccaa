import { describe, expect, it } from 'vitest';
import { hlsSegments } from './manifests/hls.js';
import { type PackagedVariant, rewriteHlsMaster, rewriteHlsMedia, segmentBitrates } from './package.js';

// what ffmpeg 5.1's dash muxer writes with -hls_playlist 1
const master = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_A1",NAME="audio_2",DEFAULT=YES,URI="media_2.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=867238,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="group_A1"',
  'media_0.m3u8',
  '',
  '#EXT-X-STREAM-INF:BANDWIDTH=484642,RESOLUTION=426x240,CODECS="avc1.640015,mp4a.40.2",AUDIO="group_A1"',
  'media_1.m3u8',
  '',
].join('\n');

const media = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-TARGETDURATION:4',
  '#EXT-X-MEDIA-SEQUENCE:1',
  '#EXT-X-MAP:URI="init-0.m4s"',
  '#EXTINF:4.000000,',
  '#EXT-X-PROGRAM-DATE-TIME:2026-11-22T06:51:55.000+0000',
  'seg-0-00001.m4s',
  '#EXTINF:2.000000,',
  '#EXT-X-PROGRAM-DATE-TIME:2026-11-22T06:51:59.000+0000',
  'seg-0-00002.m4s',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

const variant = (over: Partial<PackagedVariant>): PackagedVariant => ({
  name: '360p',
  representationId: 0,
  playlist: 'media_0.m3u8',
  width: 640,
  height: 360,
  peakBitsPerSecond: 1,
  averageBitsPerSecond: 1,
  ...over,
});

describe('rewriteHlsMaster', () => {
  it('puts the peak in BANDWIDTH, adds AVERAGE-BANDWIDTH and FRAME-RATE, keeps the rest', () => {
    const out = rewriteHlsMaster(
      master,
      [
        variant({ peakBitsPerSecond: 1_100_000, averageBitsPerSecond: 900_000 }),
        variant({
          name: '240p',
          playlist: 'media_1.m3u8',
          peakBitsPerSecond: 600_000,
          averageBitsPerSecond: 500_000,
        }),
      ],
      29.97,
    );
    expect(out.split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_A1",NAME="audio_2",DEFAULT=YES,URI="media_2.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1100000,AVERAGE-BANDWIDTH=900000,FRAME-RATE=29.970,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="group_A1"',
      'media_0.m3u8',
      '',
      '#EXT-X-STREAM-INF:BANDWIDTH=600000,AVERAGE-BANDWIDTH=500000,FRAME-RATE=29.970,RESOLUTION=426x240,CODECS="avc1.640015,mp4a.40.2",AUDIO="group_A1"',
      'media_1.m3u8',
      '',
    ]);
  });

  it('is idempotent', () => {
    const vs = [variant({ peakBitsPerSecond: 5, averageBitsPerSecond: 4 })];
    const once = rewriteHlsMaster(master, vs, 25);
    expect(rewriteHlsMaster(once, vs, 25)).toBe(once);
  });
});

describe('rewriteHlsMedia', () => {
  it('marks the playlist VOD and drops the packaging wall-clock dates', () => {
    const out = rewriteHlsMedia(media);
    expect(out).toContain('#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n');
    expect(out).not.toContain('PROGRAM-DATE-TIME');
    expect(hlsSegments(out)).toEqual(hlsSegments(media));
  });
});

describe('segmentBitrates', () => {
  it('takes the peak over full segments and the average over all', () => {
    expect(
      segmentBitrates(
        [
          { bytes: 500_000, seconds: 4 },
          { bytes: 800_000, seconds: 4 },
          { bytes: 100_000, seconds: 2 },
        ],
        4,
      ),
    ).toEqual({ peak: 1_600_000, average: 1_120_000 });
  });

  it('leaves a few-millisecond tail out of the peak', () => {
    const r = segmentBitrates(
      [
        { bytes: 64_000, seconds: 3.99 },
        { bytes: 300, seconds: 0.02 },
      ],
      4,
    );
    expect(r.peak).toBe(Math.ceil((64_000 * 8) / 3.99));
  });

  it('falls back to the average when no segment is full length', () => {
    expect(segmentBitrates([{ bytes: 1000, seconds: 1 }], 4)).toEqual({ peak: 8000, average: 8000 });
  });
});
