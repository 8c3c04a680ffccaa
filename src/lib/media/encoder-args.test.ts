import { describe, expect, it } from 'vitest';
import { audioTimelineFilter, frameRateFilter, x264Args } from './encoder-args.js';
import type { Ladder } from './ladder.js';
import { singlePassLadderArgs } from './single-pass.js';

const ladder: Ladder = {
  video: [
    {
      name: '360p',
      width: 640,
      height: 360,
      bitrateKbps: 860,
      maxrateKbps: 1290,
      bufsizeKbps: 2580,
      profile: 'main',
      level: '3.0',
    },
    {
      name: '240p',
      width: 426,
      height: 240,
      bitrateKbps: 450,
      maxrateKbps: 675,
      bufsizeKbps: 1350,
      profile: 'main',
      level: '2.1',
    },
  ],
  audio: { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 },
  fps: 30,
  frameRate: '30/1',
  gopFrames: 120,
  segmentSeconds: 4,
  durationSeconds: 6,
  totalFrames: 180,
  displayAspectRatio: '16:9',
  source: { videoIndex: 0, audioIndex: 1, videoOffsetSeconds: 0 },
};

/** value of `flag` in an argument list */
const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('x264Args', () => {
  it('fixes the GOP: IDR every gopFrames, forced by frame number, no scene cuts, closed GOPs', () => {
    const a = x264Args(ladder.video[0] as Ladder['video'][0], ladder);
    expect(arg(a, '-c:v')).toBe('libx264');
    expect(arg(a, '-g:v')).toBe('120');
    expect(arg(a, '-keyint_min:v')).toBe('120');
    expect(arg(a, '-sc_threshold:v')).toBe('0');
    expect(arg(a, '-force_key_frames:v')).toBe('expr:gte(n,n_forced*120)');
    expect(arg(a, '-x264-params:v')).toBe('open-gop=0:scenecut=0');
    expect(arg(a, '-b:v')).toBe('860k');
    expect(arg(a, '-maxrate:v')).toBe('1290k');
    expect(arg(a, '-bufsize:v')).toBe('2580k');
    expect(arg(a, '-preset:v')).toBe('veryfast');
    expect(a).not.toContain('-threads:v');
  });

  it('takes a preset, threads and a stream specifier', () => {
    const a = x264Args(ladder.video[1] as Ladder['video'][0], ladder, { preset: 'slow', threads: 2 }, 'v:1');
    expect(arg(a, '-preset:v:1')).toBe('slow');
    expect(arg(a, '-threads:v:1')).toBe('2');
    expect(arg(a, '-b:v:1')).toBe('450k');
  });
});

describe('filters', () => {
  it('resamples to the constant rate on a grid that starts where the chunk starts', () => {
    expect(frameRateFilter(ladder, 0.016667)).toBe(
      'fps=fps=30/1:start_time=0.016667:round=near,setpts=PTS-STARTPTS',
    );
  });

  it('aligns audio to the first video frame', () => {
    expect(audioTimelineFilter(ladder)).toBe('aresample=async=1:first_pts=0');
    expect(audioTimelineFilter({ ...ladder, source: { ...ladder.source, videoOffsetSeconds: 0.1 } })).toBe(
      'asetpts=PTS-0.100000/TB,aresample=async=1:first_pts=0',
    );
  });
});

describe('singlePassLadderArgs', () => {
  const args = singlePassLadderArgs('/in/Big Trip — café.mov', ladder, '/out', { threads: 2 });

  it('decodes once and splits into one scaler per rendition', () => {
    expect(args.filter((a) => a === '-i')).toHaveLength(1);
    expect(arg(args, '-i')).toBe('/in/Big Trip — café.mov');
    const graph = arg(args, '-filter_complex') ?? '';
    expect(graph).toMatch(/^\[0:0\]fps=fps=30\/1:.*split=2\[s0\]\[s1\];/);
    expect(graph).toContain('[s0]scale=w=640:h=360');
    expect(graph).toContain('[s1]scale=w=426:h=240');
  });

  it('uses the chunked pipeline’s encoder settings for every rendition', () => {
    ladder.video.forEach((r, i) => {
      const chunked = x264Args(r, ladder);
      const single = x264Args(r, ladder, {}, `v:${i}`);
      expect(single.filter((_, k) => k % 2 === 1)).toEqual(chunked.filter((_, k) => k % 2 === 1));
      for (let k = 0; k < single.length; k += 2) {
        expect(arg(args, single[k] as string)).toBe(single[k + 1]);
      }
    });
    expect(arg(args, '-c:a:0')).toBe('aac');
    expect(arg(args, '-threads')).toBe('2');
  });

  it('writes HLS with fMP4 segments of one GOP and an audio group', () => {
    expect(arg(args, '-f')).toBe('hls');
    expect(arg(args, '-hls_time')).toBe('4.000000');
    expect(arg(args, '-hls_segment_type')).toBe('fmp4');
    expect(arg(args, '-var_stream_map')).toBe(
      'v:0,name:360p,agroup:audio v:1,name:240p,agroup:audio a:0,name:audio,agroup:audio,default:yes',
    );
    expect(args.at(-1)).toBe('/out/stream_%v/playlist.m3u8');
  });

  it('leaves audio out for a silent title', () => {
    const silent = singlePassLadderArgs(
      '/in/x.mp4',
      { ...ladder, audio: null, source: { ...ladder.source, audioIndex: null } },
      '/o',
    );
    expect(silent).not.toContain('-c:a:0');
    expect(arg(silent, '-var_stream_map')).toBe('v:0,name:360p v:1,name:240p');
  });
});
