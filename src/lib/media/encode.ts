import { basename } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Chunk } from './chunks.js';
import {
  aacArgs,
  audioTimelineFilter,
  frameRateFilter,
  scaleFilter,
  type X264Options,
  x264Args,
} from './encoder-args.js';
import { MediaToolError } from './errors.js';
import type { Ladder, Rendition } from './ladder.js';
import { fileBytes, type MediaTools, resolveTools, withTempOutput } from './tools.js';

export interface EncodeOptions extends X264Options {
  tools?: Partial<MediaTools>;
  signal?: AbortSignal;
  /** kill ffmpeg after this long */
  timeoutMs?: number;
}

export interface EncodeResult {
  output: string;
  bytes: number;
  /** wall-clock seconds the encode took */
  seconds: number;
}

export interface VideoChunkJob extends EncodeOptions {
  source: string;
  chunk: Chunk;
  rendition: Rendition;
  ladder: Ladder;
  /** an .mp4 path; written atomically */
  output: string;
}

/**
 * Encode one chunk of one rendition (video only) with x264 into an MP4. The chunk gets exactly
 * round(duration × fps) frames (never past the title's last frame) on the title's constant
 * frame-rate grid, starting with an IDR frame and with one every GOP, so concatenated chunks keep
 * keyframes on segment boundaries.
 *
 * Seeking: ffmpeg seeks (accurately) to half a frame before the chunk's first frame; the fps filter's
 * grid starts at the chunk's start, so the frame there is the first one whatever the rounding of the
 * timestamps.
 */
export async function encodeVideoChunk(job: VideoChunkJob): Promise<EncodeResult & { frames: number }> {
  const { ladder, chunk, rendition } = job;
  const startFrame = Math.round(chunk.startSeconds * ladder.fps);
  const frames = Math.min(Math.round(chunk.durationSeconds * ladder.fps), ladder.totalFrames - startFrame);
  if (frames < 1) {
    throw new Error(`chunk ${chunk.index} (${chunk.startSeconds} s) starts after the title's last frame`);
  }
  const start = ladder.source.videoOffsetSeconds + startFrame / ladder.fps;
  const seek = Math.max(0, start - 0.5 / ladder.fps);
  const inputOptions = seek > 0 ? ['-ss', seek.toFixed(6)] : [];
  const outputOptions = [
    '-map',
    `0:${ladder.source.videoIndex}`,
    '-an',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-filter:v',
    `${frameRateFilter(ladder, start - seek)},${scaleFilter(rendition)}`,
    ...x264Args(rendition, ladder, job),
    '-frames:v',
    String(frames),
    '-f',
    'mp4',
  ];
  const began = performance.now();
  await withTempOutput(job.output, (tmp) =>
    runFluent({
      what: `encoding chunk ${chunk.index} of ${rendition.name} from ${basename(job.source)}`,
      input: job.source,
      inputOptions,
      outputOptions,
      output: tmp,
      tools: job.tools,
      signal: job.signal,
      timeoutMs: job.timeoutMs,
    }),
  );
  return {
    output: job.output,
    bytes: await fileBytes(job.output),
    seconds: (performance.now() - began) / 1000,
    frames,
  };
}

export interface AudioJob extends EncodeOptions {
  source: string;
  ladder: Ladder;
  /** an .m4a path; written atomically */
  output: string;
}

/**
 * Encode the title's soundtrack ONCE, whole, to AAC in an M4A (per-chunk AAC would put an encoder
 * priming gap at every chunk boundary). The audio is aligned to the first video frame and cut at
 * the video's end. Throws when the ladder has no audio (a silent title).
 */
export async function encodeAudio(job: AudioJob): Promise<EncodeResult> {
  const { ladder } = job;
  if (!ladder.audio || ladder.source.audioIndex === null) {
    throw new Error('encodeAudio: this title is silent (the ladder has no audio)');
  }
  const outputOptions = [
    '-map',
    `0:${ladder.source.audioIndex}`,
    '-vn',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-filter:a',
    audioTimelineFilter(ladder),
    ...aacArgs(ladder.audio),
    '-t',
    ladder.durationSeconds.toFixed(6),
    '-f',
    'mp4',
  ];
  const began = performance.now();
  await withTempOutput(job.output, (tmp) =>
    runFluent({
      what: `encoding the audio of ${basename(job.source)}`,
      input: job.source,
      inputOptions: [],
      outputOptions,
      output: tmp,
      tools: job.tools,
      signal: job.signal,
      timeoutMs: job.timeoutMs,
    }),
  );
  return {
    output: job.output,
    bytes: await fileBytes(job.output),
    seconds: (performance.now() - began) / 1000,
  };
}

interface FluentRun {
  what: string;
  input: string;
  inputOptions: string[];
  outputOptions: string[];
  output: string;
  tools?: Partial<MediaTools>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Run one ffmpeg command through fluent-ffmpeg. Options are added as separate arguments (never
 * split on spaces); failure becomes a {@link MediaToolError} with the exact argument list; an abort
 * kills ffmpeg and rejects with the signal's reason.
 */
function runFluent(run: FluentRun): Promise<void> {
  const tool = resolveTools(run.tools).ffmpeg;
  const outputOptions = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', ...run.outputOptions];
  // what fluent-ffmpeg builds: input options, -i, -y (file output), output options, output
  const args = [...run.inputOptions, '-i', run.input, '-y', ...outputOptions, run.output];
  return new Promise<void>((resolve, reject) => {
    if (run.signal?.aborted) {
      reject(run.signal.reason);
      return;
    }
    const cmd = ffmpeg({
      stdoutLines: 40,
      ...(run.timeoutMs ? { timeout: Math.ceil(run.timeoutMs / 1000) } : {}),
    });
    cmd.setFfmpegPath(tool);
    cmd.input(run.input);
    // ≥ 2 arguments each, so fluent-ffmpeg takes every one verbatim
    if (run.inputOptions.length > 0) cmd.inputOptions(...run.inputOptions);
    cmd.outputOptions(...outputOptions);
    cmd.output(run.output);
    const abort = () => cmd.kill('SIGKILL');
    const done = () => run.signal?.removeEventListener('abort', abort);
    run.signal?.addEventListener('abort', abort, { once: true });
    cmd.on('start', () => {
      if (run.signal?.aborted) abort();
    });
    cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      done();
      if (run.signal?.aborted) {
        reject(run.signal.reason);
        return;
      }
      const code = /exited with code (\d+)/.exec(err.message);
      const signal = /killed with signal (\w+)/.exec(err.message);
      reject(
        new MediaToolError({
          what: run.what,
          tool,
          args,
          exitCode: code ? Number(code[1]) : null,
          signal: signal?.[1] ?? null,
          timedOut: /timeout/i.test(err.message),
          stderr: stderr || err.message,
          cause: err,
        }),
      );
    });
    cmd.on('end', () => {
      done();
      resolve();
    });
    cmd.run();
  });
}
