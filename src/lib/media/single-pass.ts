import { join } from 'node:path';
import {
  aacArgs,
  audioTimelineFilter,
  frameRateFilter,
  scaleFilter,
  type X264Options,
  x264Args,
} from './encoder-args.js';
import type { Ladder } from './ladder.js';
import { ffmpegBase, mediaPath } from './tools.js';

/**
 * The arguments (after `ffmpeg`) of ONE command that makes the same ladder in a single pass: one
 * decode, one frame-rate conversion, `split` into a scaler per rendition, the same x264 and AAC
 * settings as the chunked pipeline, and HLS (fMP4 segments, one GOP each) into `outDir`:
 * `outDir/master.m3u8` and `outDir/stream_<n>/`. This is the reference the distributed pipeline is
 * benchmarked against.
 */
export function singlePassLadderArgs(
  source: string,
  ladder: Ladder,
  outDir: string,
  opts: X264Options = {},
): string[] {
  const n = ladder.video.length;
  const labels = ladder.video.map((_, i) => `s${i}`);
  const graph = [
    `[0:${ladder.source.videoIndex}]${frameRateFilter(ladder, ladder.source.videoOffsetSeconds)},split=${n}${labels.map((l) => `[${l}]`).join('')}`,
    ...ladder.video.map((r, i) => `[s${i}]${scaleFilter(r)}[v${i}]`),
  ].join(';');
  const args = [...ffmpegBase(), '-i', mediaPath(source), '-filter_complex', graph];
  ladder.video.forEach((r, i) => {
    args.push('-map', `[v${i}]`, ...x264Args(r, ladder, { preset: opts.preset }, `v:${i}`));
    args.push(`-frames:v:${i}`, String(ladder.totalFrames));
  });
  if (opts.threads) args.push('-threads', String(opts.threads));
  const hasAudio = ladder.audio !== null && ladder.source.audioIndex !== null;
  if (ladder.audio && hasAudio) {
    args.push(
      '-map',
      `0:${ladder.source.audioIndex}`,
      '-filter:a:0',
      audioTimelineFilter(ladder),
      ...aacArgs(ladder.audio, 'a:0'),
      '-t',
      ladder.durationSeconds.toFixed(6),
    );
  }
  const streamMap = [
    ...ladder.video.map((r, i) => `v:${i},name:${r.name}${hasAudio ? ',agroup:audio' : ''}`),
    ...(hasAudio ? ['a:0,name:audio,agroup:audio,default:yes'] : []),
  ].join(' ');
  args.push(
    '-f',
    'hls',
    '-hls_time',
    ladder.segmentSeconds.toFixed(6),
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    mediaPath(join(outDir, 'stream_%v', 'seg_%05d.m4s')),
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    streamMap,
    mediaPath(join(outDir, 'stream_%v', 'playlist.m3u8')),
  );
  return args;
}
