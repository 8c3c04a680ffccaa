import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { MediaToolError } from './errors.js';

/** Where ffmpeg and ffprobe live. Defaults: $FLIX_FFMPEG / $FLIX_FFPROBE, else whatever is on PATH. */
export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
}

export function resolveTools(
  overrides: Partial<MediaTools> = {},
  env: NodeJS.ProcessEnv = process.env,
): MediaTools {
  return {
    ffmpeg: overrides.ffmpeg ?? env.FLIX_FFMPEG ?? 'ffmpeg',
    ffprobe: overrides.ffprobe ?? env.FLIX_FFPROBE ?? 'ffprobe',
  };
}

export interface RunOptions {
  tools?: Partial<MediaTools>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Run ffmpeg or ffprobe to completion and return its output. A non-zero exit becomes a
 * {@link MediaToolError} carrying the command and the last stderr lines; an abort rejects with the
 * signal's reason after the process is gone.
 */
export async function runTool(
  tool: keyof MediaTools,
  args: string[],
  what: string,
  opts: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  const file = resolveTools(opts.tools)[tool];
  opts.signal?.throwIfAborted();
  const r = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    cancelSignal: opts.signal,
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 2_000,
    maxBuffer: 256 * 1024 * 1024,
    stripFinalNewline: false,
  });
  if (opts.signal?.aborted) throw opts.signal.reason;
  if (r.failed) {
    throw new MediaToolError({
      what,
      tool: file,
      args,
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      timedOut: r.timedOut,
      stderr:
        r.code === 'ENOENT'
          ? `${file}: not found (install ffmpeg or set FLIX_FFMPEG/FLIX_FFPROBE)`
          : r.stderr,
      cause: r.code === 'ENOENT' ? r : undefined,
    });
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

/**
 * A path as ffmpeg should see it: URLs (http://…) as they are, files made absolute, so a name like
 * "clip:1.mp4" is not taken for a protocol and "-x.mp4" not for an option.
 */
export function mediaPath(pathOrUrl: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl) ? pathOrUrl : resolve(pathOrUrl);
}

/** A short name for messages: the file name, also of a (presigned) URL without its query. */
export function sourceName(pathOrUrl: string): string {
  return basename(pathOrUrl.replace(/[?#].*$/, ''));
}

/** The usual leading ffmpeg arguments: no banner, never read stdin, overwrite, print only `level`. */
export function ffmpegBase(level: 'error' | 'warning' = 'error'): string[] {
  return ['-hide_banner', '-nostdin', '-nostats', '-loglevel', level, '-y'];
}

/**
 * Write `output` atomically: `fn` writes to a temporary file beside it (same extension, so ffmpeg
 * picks the same muxer) which is renamed into place on success and removed on failure. A worker
 * that crashes half-way never leaves a file that looks finished.
 */
export async function withTempOutput<T>(output: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(output), { recursive: true });
  const tmp = tempPath(output);
  try {
    const result = await fn(tmp);
    await rename(tmp, output);
    return result;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A hidden temporary name beside `output`, with the same extension. */
export function tempPath(output: string): string {
  const ext = extname(output);
  return join(dirname(output), `.${basename(output, ext)}.partial-${randomBytes(4).toString('hex')}${ext}`);
}

/**
 * The same for a directory of outputs (a packaged title): `fn` fills a temporary sibling directory
 * that replaces `dir` on success. `dir` must not exist or be empty.
 */
export async function withTempDir<T>(dir: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  const existing = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  if (existing.length > 0) {
    throw new Error(`output directory ${dir} already exists and is not empty; remove it or choose another`);
  }
  await mkdir(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.partial-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const result = await fn(tmp);
    await rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(tmp, dir);
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export async function fileBytes(file: string): Promise<number> {
  return (await stat(file)).size;
}
