import { randomBytes } from 'node:crypto';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { lastLines } from './errors.js';
import { probeMedia } from './probe.js';
import { ffmpegBase, fileBytes, mediaPath, type RunOptions, runTool, withTempOutput } from './tools.js';

export interface ConcatResult {
  output: string;
  bytes: number;
  frames: number;
  durationSeconds: number;
}

/**
 * Join a rendition's chunk encodes, in order, into one MP4 without re-encoding (ffmpeg's concat
 * demuxer, `-c copy`). Then check the result: ffmpeg reported no timestamp trouble, the file has
 * exactly one H.264 video stream, and — when `expectedFrames` is given (the ladder's totalFrames) —
 * every frame arrived. A failed check throws: it means a chunk is missing or broken.
 */
export async function concatChunks(
  files: string[],
  output: string,
  opts: RunOptions & { expectedFrames?: number } = {},
): Promise<ConcatResult> {
  if (files.length === 0) throw new Error('concatChunks: no chunk files');
  if (files.length === 1) {
    // one chunk is already the rendition (the encoder wrote an MP4 of its video alone): no ffmpeg
    // to start, the same checks below
    await copyFile(files[0] as string, output);
    return checkJoined(output, opts);
  }
  const list = join(
    dirname(resolve(output)),
    `.${basename(output)}.${randomBytes(4).toString('hex')}.concat.txt`,
  );
  await writeFile(list, concatList(files));
  let warnings: string;
  try {
    warnings = await withTempOutput(output, async (tmp) => {
      const { stderr } = await runTool(
        'ffmpeg',
        [
          ...ffmpegBase('warning'),
          '-f',
          'concat',
          '-safe',
          '0',
          '-i',
          list,
          '-map',
          '0:v',
          '-c',
          'copy',
          '-f',
          'mp4',
          mediaPath(tmp),
        ],
        `joining ${files.length} chunks into ${basename(output)}`,
        opts,
      );
      return stderr;
    });
  } finally {
    await rm(list, { force: true });
  }
  const trouble = lastLines(warnings, 100).filter((l) =>
    /non[- ]monoton|discontinuity|invalid|error/i.test(l),
  );
  if (trouble.length > 0) {
    throw new Error(
      `joining chunks into ${output} produced broken timestamps:\n${trouble.slice(-10).join('\n')}`,
    );
  }
  return checkJoined(output, opts);
}

/** The joined file holds exactly one H.264 video stream, with every frame when the count is known. */
async function checkJoined(
  output: string,
  opts: RunOptions & { expectedFrames?: number },
): Promise<ConcatResult> {
  const info = await probeMedia(output, opts);
  if (info.video?.codec !== 'h264' || info.audio) {
    throw new Error(`${output} should hold exactly one H.264 video stream, found ${describe(info)}`);
  }
  const frames = info.video.frames ?? Math.round(info.video.durationSeconds * info.video.avgFps);
  if (opts.expectedFrames !== undefined && frames !== opts.expectedFrames) {
    throw new Error(
      `${output} has ${frames} frames, expected ${opts.expectedFrames}: a chunk is missing or short`,
    );
  }
  return { output, bytes: await fileBytes(output), frames, durationSeconds: info.video.durationSeconds };
}

/** The concat demuxer's list file: absolute paths, quoted (a ' becomes '\''). */
export function concatList(files: string[]): string {
  return files.map((f) => `file '${resolve(f).replaceAll("'", `'\\''`)}'\n`).join('');
}

function describe(info: Awaited<ReturnType<typeof probeMedia>>): string {
  const parts = [];
  if (info.video) parts.push(`video ${info.video.codec}`);
  if (info.audio) parts.push(`audio ${info.audio.codec}`);
  return parts.join(', ') || 'no streams';
}
