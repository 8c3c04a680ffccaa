import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Chunk } from './chunks.js';
import {
  aacArgs,
  audioTimelineFilter,
  frameRateFilter,
  STRIP_EXTRAS,
  scaleFilter,
  type X264Options,
  x264Args,
} from './encoder-args.js';
import { MediaToolError } from './errors.js';
import type { Ladder, Rendition } from './ladder.js';
import {
  fileBytes,
  type MediaTools,
  mediaPath,
  resolveTools,
  sourceName,
  tempPath,
  withTempOutput,
} from './tools.js';

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
  const [result] = await encodeVideoChunkRenditions({
    ...job,
    renditions: [{ rendition: job.rendition, output: job.output }],
  });
  return result as EncodeResult & { frames: number };
}

export interface VideoChunkRenditionsJob extends EncodeOptions {
  source: string;
  chunk: Chunk;
  renditions: Array<{ rendition: Rendition; output: string }>;
  ladder: Ladder;
}

/**
 * {@link encodeVideoChunk} for several renditions of one chunk in one ffmpeg run: the chunk is
 * decoded and resampled once and `split` into a scaler and an x264 per rendition, with the same
 * settings, so each output equals its separate encode. Decoding is most of the cost of the small
 * renditions (a 1080p source decodes at a few hundred frames/s), so a worker that takes a whole
 * chunk spends far less CPU than five chunk × rendition tasks. Outputs appear together, atomically.
 */
export async function encodeVideoChunkRenditions(
  job: VideoChunkRenditionsJob,
): Promise<Array<EncodeResult & { frames: number }>> {
  const { ladder, chunk } = job;
  if (job.renditions.length === 0) throw new Error('encodeVideoChunkRenditions: no renditions');
  const startFrame = Math.round(chunk.startSeconds * ladder.fps);
  const frames = Math.min(Math.round(chunk.durationSeconds * ladder.fps), ladder.totalFrames - startFrame);
  if (frames < 1) {
    throw new Error(`chunk ${chunk.index} (${chunk.startSeconds} s) starts after the title's last frame`);
  }
  const start = ladder.source.videoOffsetSeconds + startFrame / ladder.fps;
  const seek = Math.max(0, start - 0.5 / ladder.fps);
  const n = job.renditions.length;
  const split = n > 1 ? `,split=${n}${job.renditions.map((_, i) => `[s${i}]`).join('')}` : '[s0]';
  const graph = [
    `[0:${ladder.source.videoIndex}]${frameRateFilter(ladder, start - seek)}${split}`,
    ...job.renditions.map(({ rendition }, i) => `[s${i}]${scaleFilter(rendition)}[v${i}]`),
  ].join(';');
  const names = job.renditions.map((r) => r.rendition.name).join(', ');
  const began = performance.now();
  const tmps = job.renditions.map(({ output }) => tempPath(output));
  try {
    for (const { output } of job.renditions) await mkdir(dirname(output), { recursive: true });
    await runFluent({
      what: `encoding chunk ${chunk.index} of ${names} from ${sourceName(job.source)}`,
      input: job.source,
      inputOptions: seek > 0 ? ['-ss', seek.toFixed(6)] : [],
      complexFilter: graph,
      outputs: job.renditions.map(({ rendition }, i) => ({
        file: tmps[i] as string,
        options: [
          '-map',
          `[v${i}]`,
          '-an',
          ...STRIP_EXTRAS,
          ...x264Args(rendition, ladder, job),
          '-frames:v',
          String(frames),
          '-f',
          'mp4',
        ],
      })),
      tools: job.tools,
      signal: job.signal,
      timeoutMs: job.timeoutMs,
    });
    for (const [i, { output }] of job.renditions.entries()) await rename(tmps[i] as string, output);
  } catch (e) {
    for (const tmp of tmps) await rm(tmp, { force: true });
    throw e;
  }
  const seconds = (performance.now() - began) / 1000;
  const results = [];
  for (const { output } of job.renditions) {
    results.push({ output, bytes: await fileBytes(output), seconds, frames });
  }
  return results;
}

export interface AudioJob extends EncodeOptions {
  source: string;
  ladder: Ladder;
  /** an .m4a path; written atomically */
  output: string;
  /** the ladder's stereo (or mono) track, or its 5.1 one; default stereo */
  track?: 'stereo' | 'surround';
}

/**
 * Encode the title's soundtrack ONCE, whole, to AAC in an M4A (per-chunk AAC would put an encoder
 * priming gap at every chunk boundary). The audio is aligned to the first video frame and cut at
 * the video's end. Throws when the ladder has no audio (a silent title).
 */
export async function encodeAudio(job: AudioJob): Promise<EncodeResult> {
  const { ladder } = job;
  const surround = job.track === 'surround';
  const plan = surround ? ladder.surround : ladder.audio;
  if (!plan || ladder.source.audioIndex === null) {
    throw new Error(
      surround
        ? 'encodeAudio: this title has no 5.1 audio (its ladder has no surround track)'
        : 'encodeAudio: this title is silent (the ladder has no audio)',
    );
  }
  // The stereo downmix is ffmpeg's (-ac 2): the centre and surrounds at -3 dB into left and right,
  // the LFE left out, and — the encoder taking float samples — no normalisation that would push
  // the centre (the dialogue) further down. A 5.1(side) or 7.1 source becomes AAC's 5.1 layout.
  const filter = surround
    ? `${audioTimelineFilter(ladder)},aformat=channel_layouts=5.1`
    : audioTimelineFilter(ladder);
  const outputOptions = [
    '-map',
    `0:${ladder.source.audioIndex}`,
    '-vn',
    ...STRIP_EXTRAS,
    '-filter:a',
    filter,
    ...aacArgs(plan),
    '-t',
    ladder.durationSeconds.toFixed(6),
    '-f',
    'mp4',
  ];
  const began = performance.now();
  await withTempOutput(job.output, (tmp) =>
    runFluent({
      what: `encoding the audio of ${sourceName(job.source)}`,
      input: job.source,
      inputOptions: [],
      outputs: [{ file: tmp, options: outputOptions }],
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
  complexFilter?: string;
  outputs: Array<{ file: string; options: string[] }>;
  tools?: Partial<MediaTools>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const QUIET = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];

/**
 * Run one ffmpeg command through fluent-ffmpeg. Options are added as separate arguments (never
 * split on spaces); failure becomes a {@link MediaToolError} with the exact argument list; an abort
 * kills ffmpeg and rejects with the signal's reason.
 */
function runFluent(run: FluentRun): Promise<void> {
  const tool = resolveTools(run.tools).ffmpeg;
  const input = mediaPath(run.input);
  const outputs = run.outputs.map((o, i) => ({
    file: mediaPath(o.file),
    options: i === 0 ? [...QUIET, ...o.options] : o.options,
  }));
  // what fluent-ffmpeg builds: input options, -i, -y (file output), -filter_complex, each output
  const args = [
    ...run.inputOptions,
    '-i',
    input,
    '-y',
    ...(run.complexFilter ? ['-filter_complex', run.complexFilter] : []),
    ...outputs.flatMap((o) => [...o.options, o.file]),
  ];
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
    cmd.input(input);
    // ≥ 2 arguments each, so fluent-ffmpeg takes every one verbatim
    if (run.inputOptions.length > 0) cmd.inputOptions(...run.inputOptions);
    if (run.complexFilter) cmd.complexFilter(run.complexFilter);
    for (const o of outputs) {
      cmd.output(o.file);
      cmd.outputOptions(...o.options);
    }
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
