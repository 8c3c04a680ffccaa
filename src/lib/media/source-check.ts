import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { MediaError, MediaToolError } from './errors.js';
import { type MediaInfo, probeMedia, type SourceInfo } from './probe.js';
import { ffmpegBase, mediaPath, type RunOptions, runTool } from './tools.js';

/**
 * Whether an upload can become a title, decided before anything is written: ffprobe reads it, it
 * has a real video stream of a sensible size and length, its first frame decodes and its data
 * reaches the end it claims.
 */

/** Sources shorter than this are refused: too short to play or to package. */
export const MIN_DURATION_SECONDS = 1;
/** Pictures larger than this on either side are refused (beyond H.264 level 6.2). */
export const MAX_DIMENSION = 8192;

/**
 * Decide whether a file can be ingested, before anything is written: it exists, is not empty,
 * ffprobe reads it, it has a video stream of at least {@link MIN_DURATION_SECONDS}, its first
 * frame decodes and its data reaches the end it claims (a cut-off upload does not). Throws
 * {@link MediaError} with a reason and what to do; returns the probe for the ladder.
 */
export async function validateSource(file: string, opts: RunOptions = {}): Promise<SourceInfo> {
  const name = basename(file);
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) {
      throw new MediaError('not-a-file', `"${name}" is not a regular file.`, {
        file,
        nextStep: 'Pass the path of a video file.',
      });
    }
    size = s.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MediaError('not-found', `"${file}" does not exist.`, {
        file,
        nextStep: 'Check the path and try again.',
      });
    }
    throw e;
  }
  if (size === 0) {
    throw new MediaError('empty-file', `"${name}" is empty (0 bytes).`, {
      file,
      nextStep: 'The upload probably failed; upload the file again.',
    });
  }

  let info: MediaInfo;
  try {
    info = await probeMedia(file, opts);
  } catch (e) {
    if (!(e instanceof MediaToolError)) throw e;
    throw await unreadable(file, e);
  }
  const problem = sourceProblem(info);
  if (problem) throw problem;
  const source = info as SourceInfo;
  // two independent reads of the file, at once: most of each is the tool's own start-up
  await Promise.all([checkFirstFrameDecodes(source, opts), checkDataReachesEnd(source, opts)]);
  return source;
}

/**
 * The rules a probed source must pass, as a pure function: the {@link MediaError} to throw, or
 * null. A video without audio is fine (a silent title); so are odd sizes, rotation, a variable
 * frame rate and 10-bit colour, which the encoder normalises.
 */
export function sourceProblem(info: MediaInfo): MediaError | null {
  const file = info.file;
  const name = basename(file);
  const v = info.video;
  if (!v) {
    if (info.audio) {
      return new MediaError(
        'audio-only',
        `"${name}" has sound but no picture (${info.audio.codec} audio only).`,
        {
          file,
          nextStep: 'Upload the video file, not just its soundtrack.',
        },
      );
    }
    return new MediaError('not-video', `"${name}" has no video stream (${info.formatName}).`, {
      file,
      nextStep: 'Upload a video file such as MP4, MOV, MKV or WebM.',
    });
  }
  if (isStillImage(info)) {
    return new MediaError('not-video', `"${name}" is a still image (${v.codec}), not a video.`, {
      file,
      nextStep: 'Upload a video file such as MP4, MOV, MKV or WebM.',
    });
  }
  if (!v.codec || v.codec === 'none' || v.codec === 'unknown') {
    return new MediaError('unsupported', `"${name}" uses a video codec ffmpeg cannot decode.`, {
      file,
      nextStep: 'Export it as H.264, HEVC, VP9 or ProRes and upload again.',
    });
  }
  if (v.width < 2 || v.height < 2 || v.width > MAX_DIMENSION || v.height > MAX_DIMENSION) {
    return new MediaError(
      'unsupported',
      `"${name}" is ${v.width}×${v.height}, outside 2–${MAX_DIMENSION} pixels.`,
      {
        file,
        nextStep: `Export it at ${MAX_DIMENSION} pixels or less on each side and upload again.`,
      },
    );
  }
  const duration = v.durationSeconds;
  if (!(duration >= MIN_DURATION_SECONDS)) {
    return new MediaError(
      'too-short',
      `"${name}" is ${Number.isFinite(duration) ? `${duration.toFixed(2)} s` : 'of unknown'} long; titles must last at least ${MIN_DURATION_SECONDS} s.`,
      { file, nextStep: 'Upload a longer clip.' },
    );
  }
  return null;
}

function isStillImage(info: MediaInfo): boolean {
  const formats = info.formatName.split(',');
  if (formats.some((f) => f === 'image2' || f.endsWith('_pipe'))) return true;
  return info.video?.frames === 1;
}

/** ffprobe could not read the file: a known container that is damaged, or not media at all. */
async function unreadable(file: string, e: MediaToolError): Promise<MediaError> {
  const name = basename(file);
  const details = e.stderrTail.join('\n');
  // judged by the first bytes, not by ffprobe's complaint: a text file named .mov also gets
  // "moov atom not found", because ffprobe picks the demuxer by the extension
  const container = await sniffContainer(file);
  if (container) {
    return new MediaError(
      'corrupt',
      `"${name}" looks like ${container} but cannot be read: it is damaged or cut off.`,
      { file, details, cause: e, nextStep: 'Upload the file again; if it fails again, re-export it.' },
    );
  }
  return new MediaError('not-video', `"${name}" is not a video file ffmpeg can read.`, {
    file,
    details,
    cause: e,
    nextStep: 'Upload a video file such as MP4, MOV, MKV or WebM.',
  });
}

/**
 * Recognise a video container by its first bytes, so a damaged MP4 is reported as damaged rather
 * than as "not a video". Returns a name, or null for anything else (text, images, audio).
 */
export async function sniffContainer(file: string): Promise<string | null> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(192 * 2 + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return sniffBytes(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** The pure half of {@link sniffContainer}. */
export function sniffBytes(b: Buffer): string | null {
  const ascii = (from: number, to: number) => b.subarray(from, to).toString('latin1');
  if (b.length >= 8 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(ascii(4, 8))) {
    const brand = ascii(8, 12);
    if (ascii(4, 8) === 'ftyp' && /^(M4A |M4B |mp3 |F4A )/.test(brand)) return null;
    return 'an MP4/MOV file';
  }
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'a Matroska/WebM file';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'AVI ') return 'an AVI file';
  if (b.length >= 3 && ascii(0, 3) === 'FLV') return 'an FLV file';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x000001ba) return 'an MPEG program stream';
  if (b.length >= 16 && b.readUInt32BE(0) === 0x3026b275 && b.readUInt32BE(4) === 0x8e66cf11)
    return 'an ASF/WMV file';
  if (b.length > 376 && b[0] === 0x47 && b[188] === 0x47 && b[376] === 0x47)
    return 'an MPEG transport stream';
  return null;
}

async function checkFirstFrameDecodes(info: SourceInfo, opts: RunOptions): Promise<void> {
  try {
    await runTool(
      'ffmpeg',
      [
        ...ffmpegBase(),
        '-xerror',
        '-i',
        mediaPath(info.file),
        '-map',
        `0:${info.video.index}`,
        '-frames:v',
        '1',
        '-f',
        'null',
        '-',
      ],
      `decoding the first frame of ${basename(info.file)}`,
      opts,
    );
  } catch (e) {
    if (!(e instanceof MediaToolError)) throw e;
    throw new MediaError('corrupt', `The first frame of "${basename(info.file)}" cannot be decoded.`, {
      file: info.file,
      details: e.stderrTail.join('\n'),
      cause: e,
      nextStep: 'Upload the file again; if it fails again, re-export it.',
    });
  }
}

/**
 * A file whose index survived but whose data was cut off (an MP4 with its index in front, or a
 * stream copy that died) probes fine. Reading the packets of its last seconds shows the gap.
 */
async function checkDataReachesEnd(info: SourceInfo, opts: RunOptions): Promise<void> {
  const v = info.video;
  const from = Math.max(0, v.startSeconds + v.durationSeconds - 2);
  const { stdout, stderr } = await runTool(
    'ffprobe',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-select_streams',
      `${v.index}`,
      '-read_intervals',
      `${from.toFixed(3)}%`,
      '-show_entries',
      'packet=pts_time',
      '-of',
      'csv=p=0',
      mediaPath(info.file),
    ],
    `reading the end of ${basename(info.file)}`,
    opts,
  );
  const last = Math.max(-1, ...stdout.split('\n').map(Number).filter(Number.isFinite));
  // the last packet starts within a second (or a few frames, for a slide show) of the end
  const expectedLast = v.startSeconds + v.durationSeconds - Math.max(1, 3 / (v.avgFps || 1));
  if (/partial file|truncat/i.test(stderr) || last < expectedLast) {
    const got =
      last >= 0 ? `data stops at ${Math.max(0, last - v.startSeconds).toFixed(1)} s` : 'its data is missing';
    throw new MediaError(
      'corrupt',
      `"${basename(info.file)}" is cut off: it says it lasts ${v.durationSeconds.toFixed(1)} s but ${got}.`,
      {
        file: info.file,
        details: stderr.trim() || undefined,
        nextStep: 'The upload was probably interrupted; upload the file again.',
      },
    );
  }
}

// ---- parsing ffprobe's JSON -------------------------------------------------------------------
