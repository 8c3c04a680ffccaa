import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlixError } from '../../core/errors.js';
import {
  filesInHlsPlaylist,
  hlsDuration,
  hlsSegments,
  loadHls,
  parseAttributes,
  parseHlsMaster,
  parseHlsMediaPlaylist,
  resolveRef,
} from './hls.js';

// real packager output, see testdata/README.md
const dir = join(import.meta.dirname, 'testdata');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const bigTrip = (f: string) => read(join('big-trip', f));

describe('parseAttributes', () => {
  it('reads plain and quoted values, commas inside quotes included', () => {
    expect(parseAttributes('BANDWIDTH=984348,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"')).toEqual({
      BANDWIDTH: '984348',
      RESOLUTION: '640x360',
      CODECS: 'avc1.4d401e,mp4a.40.2',
    });
  });
});

describe('parseHlsMaster', () => {
  it('reads the variants (highest first, as packaged) and the audio group of the good clip', () => {
    const m = parseHlsMaster(read('good-clip-master.m3u8'));
    expect(m.variants).toEqual([
      {
        uri: 'media_0.m3u8',
        bandwidth: 984348,
        averageBandwidth: 981339,
        width: 640,
        height: 360,
        codecs: 'avc1.4d401e,mp4a.40.2',
        audioGroup: 'group_A1',
      },
      {
        uri: 'media_1.m3u8',
        bandwidth: 586018,
        averageBandwidth: 571236,
        width: 426,
        height: 240,
        codecs: 'avc1.4d4015,mp4a.40.2',
        audioGroup: 'group_A1',
      },
    ]);
    expect(m.media).toEqual([
      {
        type: 'AUDIO',
        groupId: 'group_A1',
        name: 'audio_2',
        uri: 'media_2.m3u8',
        default: true,
        language: undefined,
      },
    ]);
  });

  it('refuses a media playlist, and text that is not HLS, with a FlixError', () => {
    expect(() => parseHlsMaster(bigTrip('media_0.m3u8'))).toThrow(/is a media playlist/);
    expect(() => parseHlsMaster('<MPD/>')).toThrow(FlixError);
    expect(() => parseHlsMaster('#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nv.m3u8\n')).toThrow(
      /no BANDWIDTH/,
    );
  });
});

describe('parseHlsMediaPlaylist', () => {
  it('reads the init segment, the segments with their EXTINF and the end', () => {
    const pl = parseHlsMediaPlaylist(bigTrip('media_0.m3u8'));
    expect(pl.init).toBe('init-0.m4s');
    expect(pl.ended).toBe(true);
    expect(pl.segments).toHaveLength(10);
    expect(pl.segments[0]).toEqual({ uri: 'seg-0-00001.m4s', durationSeconds: 4 });
    expect(pl.segments[9]).toEqual({ uri: 'seg-0-00010.m4s', durationSeconds: 4 });
  });

  it('keeps the audio segments as long as they are (not the video GOP)', () => {
    const pl = parseHlsMediaPlaylist(bigTrip('media_4.m3u8'));
    expect(pl.segments.slice(0, 2).map((s) => s.durationSeconds)).toEqual([3.946667, 3.989333]);
    expect(pl.segments.reduce((n, s) => n + s.durationSeconds, 0)).toBeCloseTo(40, 3);
  });

  it('refuses a master playlist and a segment without EXTINF', () => {
    expect(() => parseHlsMediaPlaylist(bigTrip('master.m3u8'))).toThrow(/is a master playlist/);
    expect(() => parseHlsMediaPlaylist('#EXTM3U\nseg.m4s\n')).toThrow(/has no EXTINF/);
  });
});

describe('resolveRef', () => {
  it('resolves against the referring playlist, relative to the manifest', () => {
    expect(resolveRef('media_0.m3u8', 'seg-0-00001.m4s')).toBe('seg-0-00001.m4s');
    expect(resolveRef('v/720p.m3u8', 'seg.m4s')).toBe('v/seg.m4s');
    expect(resolveRef('v/720p.m3u8', '../a/seg.m4s')).toBe('a/seg.m4s');
    expect(resolveRef('v/720p.m3u8', 'http://cdn/x.m4s')).toBe('http://cdn/x.m4s');
  });
});

describe('loadHls', () => {
  it('builds the ladder lowest first, bitrate = AVERAGE-BANDWIDTH, with the audio track', async () => {
    const asked: string[] = [];
    const p = await loadHls(bigTrip('master.m3u8'), async (uri) => {
      asked.push(uri);
      return bigTrip(uri);
    });
    expect(asked).toEqual(['media_0.m3u8', 'media_1.m3u8', 'media_2.m3u8', 'media_3.m3u8', 'media_4.m3u8']);
    expect(p.protocol).toBe('hls');
    expect(p.durationSeconds).toBe(40);
    expect(p.video.map((t) => [t.id, t.bitrateBps, t.init])).toEqual([
      ['240p', 495909, 'init-3.m4s'],
      ['360p', 909519, 'init-2.m4s'],
      ['480p', 1417735, 'init-1.m4s'],
      ['720p', 2650596, 'init-0.m4s'],
    ]);
    expect(p.video[3]?.segments[2]).toEqual({ uri: 'seg-0-00003.m4s', startSeconds: 8, durationSeconds: 4 });
    expect(p.audio?.init).toBe('init-4.m4s');
    expect(p.audio?.segments).toHaveLength(11);
    expect(p.audio?.segments[1]?.startSeconds).toBeCloseTo(3.946667, 6);
  });
});

describe('filesInHlsPlaylist', () => {
  it('lists the media playlists of a master, audio renditions included', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_A1",NAME="audio_2",DEFAULT=YES,URI="media_2.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=867238,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="group_A1"',
      'media_0.m3u8',
      '',
      '#EXT-X-STREAM-INF:BANDWIDTH=484642,RESOLUTION=426x240,CODECS="avc1.640015,mp4a.40.2",AUDIO="group_A1"',
      'media_1.m3u8',
    ].join('\n');
    expect(filesInHlsPlaylist(master)).toEqual(['media_2.m3u8', 'media_0.m3u8', 'media_1.m3u8']);
  });

  it('lists the init segment and the media segments of a media playlist', () => {
    const media = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-MAP:URI="init-0.m4s"',
      '#EXTINF:4.000000,',
      'seg-0-00001.m4s',
      '#EXTINF:2.000000,',
      'seg-0-00002.m4s',
      '#EXT-X-ENDLIST',
    ].join('\r\n');
    expect(filesInHlsPlaylist(media)).toEqual(['init-0.m4s', 'seg-0-00001.m4s', 'seg-0-00002.m4s']);
  });
});

describe('hlsSegments and hlsDuration', () => {
  const segmentsMedia = [
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

  it('pairs every segment with its EXTINF duration', () => {
    expect(hlsSegments(segmentsMedia)).toEqual([
      { uri: 'seg-0-00001.m4s', duration: 4 },
      { uri: 'seg-0-00002.m4s', duration: 2 },
    ]);
  });
  it("sums a media playlist's duration", () => {
    expect(hlsDuration(segmentsMedia)).toBe(6);
  });
  it('resolves references against an object key', () => {
    expect(resolveRef('titles/x/master.m3u8', 'media_0.m3u8')).toBe('titles/x/media_0.m3u8');
    expect(resolveRef('titles/x/hls/a.m3u8', '../seg/1.m4s')).toBe('titles/x/seg/1.m4s');
  });
});
