import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { even } from './ladder.js';
import { probeMedia } from './probe.js';
import {
  ffmpegBase,
  fileBytes,
  mediaPath,
  type RunOptions,
  runTool,
  sourceName,
  withTempOutput,
} from './tools.js';

/** The first real video stream (not cover art), nothing else. */
const FIRST_VIDEO_ONLY = ['-map', '0:V:0', '-an', '-sn'];

export interface PosterJob extends RunOptions {
  /** the source or, cheaper, the top rendition */
  source: string;
  durationSeconds: number;
  /** a .jpg path; written atomically */
  output: string;
  /** where to look; default 10 % into the title */
  atSeconds?: number;
  /** longest side of the poster, default 1280 (never upscaled) */
  maxSide?: number;
}

/**
 * A poster JPEG: the most representative of the ~24 frames from `atSeconds` (ffmpeg's thumbnail
 * filter skips black and blurred frames), scaled so its longest side is at most `maxSide`.
 */
export async function makePoster(job: PosterJob): Promise<{ output: string; bytes: number }> {
  const at = Math.max(0, Math.min(job.atSeconds ?? job.durationSeconds * 0.1, job.durationSeconds - 0.5));
  const max = job.maxSide ?? 1280;
  const fit = `min(1\\,${max}/max(iw\\,ih))`;
  await withTempOutput(job.output, (tmp) =>
    runTool(
      'ffmpeg',
      [
        ...ffmpegBase(),
        '-ss',
        at.toFixed(3),
        '-i',
        mediaPath(job.source),
        ...FIRST_VIDEO_ONLY,
        '-filter:v',
        `thumbnail=n=24,scale=w=trunc(${fit}*iw/2)*2:h=trunc(${fit}*ih/2)*2,setsar=1`,
        '-frames:v',
        '1',
        '-q:v',
        '3',
        '-f',
        'image2',
        '-update',
        '1',
        mediaPath(tmp),
      ],
      `making the poster of ${sourceName(job.source)}`,
      job,
    ),
  );
  return { output: job.output, bytes: await fileBytes(job.output) };
}

export interface SpriteJob extends RunOptions {
  /** the source or, much cheaper, the smallest rendition */
  source: string;
  durationSeconds: number;
  /** sprite sheets and the WebVTT index go here */
  outDir: string;
  /** one thumbnail every this many seconds; default 1 s per minute of title, within 1–10 s */
  intervalSeconds?: number;
  /** thumbnail width, default 160; the height follows the picture's shape */
  tileWidth?: number;
  /** grid of one sheet, default 10×10 */
  columns?: number;
  rows?: number;
  /** file names: `${name}.jpg` (or `${name}-001.jpg`… when there are several sheets), `${name}.vtt` */
  name?: string;
  /** the picture's display shape when the caller knows it (a rendition of its own ladder): no probe */
  displayAspect?: { width: number; height: number };
}

async function probedShape(job: SpriteJob): Promise<{ width: number; height: number }> {
  const info = await probeMedia(job.source, job);
  if (!info.video) throw new Error(`makeSprite: ${job.source} has no video`);
  return { width: info.video.displayWidth, height: info.video.displayHeight };
}

export interface SpriteResult {
  /** sheet files, relative to outDir */
  sheets: string[];
  /** the WebVTT index, relative to outDir */
  vtt: string;
  tiles: number;
  tileWidth: number;
  tileHeight: number;
  intervalSeconds: number;
}

/**
 * Trick-play thumbnails: one frame every `intervalSeconds` tiled into JPEG sprite sheets, and a
 * WebVTT file whose cues point into them (`sprite.jpg#xywh=x,y,w,h`), as players' seek-bar
 * previews expect.
 */
export async function makeSprite(job: SpriteJob): Promise<SpriteResult> {
  const interval = job.intervalSeconds ?? defaultSpriteInterval(job.durationSeconds);
  const shape = job.displayAspect ?? (await probedShape(job));
  const tileWidth = even(job.tileWidth ?? 160);
  const tileHeight = even((tileWidth * shape.height) / shape.width);
  const tiles = Math.max(1, Math.ceil(job.durationSeconds / interval - 1e-6));
  const layout = spriteLayout(tiles, job.columns ?? 10, job.rows ?? 10);
  const name = job.name ?? 'sprite';
  const sheets = sheetNames(name, layout.sheets);
  const pattern = layout.sheets === 1 ? sheets[0] : `${name}-%03d.jpg`;

  // written under temporary names, renamed when all are there
  const tmpPrefix = `.${name}.partial-${process.pid}`;
  const tmpPattern = join(job.outDir, `${tmpPrefix}-${pattern}`);
  await mkdir(job.outDir, { recursive: true });
  try {
    await runTool(
      'ffmpeg',
      [
        ...ffmpegBase(),
        '-i',
        mediaPath(job.source),
        ...FIRST_VIDEO_ONLY,
        '-filter:v',
        [
          `fps=fps=1/${interval}:start_time=0:round=near`,
          `trim=end_frame=${tiles}`,
          `scale=w=${tileWidth}:h=${tileHeight}`,
          'setsar=1',
          `tile=${layout.columns}x${layout.rows}`,
        ].join(','),
        '-q:v',
        '5',
        '-f',
        'image2',
        ...(layout.sheets === 1 ? ['-update', '1', '-frames:v', '1'] : ['-start_number', '1']),
        mediaPath(tmpPattern),
      ],
      `making the sprite of ${sourceName(job.source)}`,
      job,
    );
    for (const sheet of sheets) {
      await rename(join(job.outDir, `${tmpPrefix}-${sheet}`), join(job.outDir, sheet));
    }
  } catch (e) {
    for (const sheet of sheets) await rm(join(job.outDir, `${tmpPrefix}-${sheet}`), { force: true });
    throw e;
  }
  const vtt = `${name}.vtt`;
  await withTempOutput(join(job.outDir, vtt), (tmp) =>
    writeFile(
      tmp,
      spriteVtt({
        tiles,
        intervalSeconds: interval,
        durationSeconds: job.durationSeconds,
        tileWidth,
        tileHeight,
        columns: layout.columns,
        rows: layout.rows,
        sheets,
      }),
    ),
  );
  return { sheets, vtt, tiles, tileWidth, tileHeight, intervalSeconds: interval };
}

/** 1 s per minute of title, at least 1 s and at most 10 s. */
export function defaultSpriteInterval(durationSeconds: number): number {
  return Math.min(10, Math.max(1, Math.round(durationSeconds / 60)));
}

/**
 * How tiles fill sheets: one sheet is trimmed to the tiles it holds (no empty rows); several sheets
 * use the full grid. Pure.
 */
export function spriteLayout(
  tiles: number,
  columns: number,
  rows: number,
): { columns: number; rows: number; sheets: number } {
  const perSheet = columns * rows;
  if (tiles <= perSheet) {
    const c = Math.min(columns, tiles);
    return { columns: c, rows: Math.ceil(tiles / c), sheets: 1 };
  }
  return { columns, rows, sheets: Math.ceil(tiles / perSheet) };
}

function sheetNames(name: string, count: number): string[] {
  if (count === 1) return [`${name}.jpg`];
  return Array.from({ length: count }, (_, i) => `${name}-${String(i + 1).padStart(3, '0')}.jpg`);
}

export interface SpriteVttInput {
  tiles: number;
  intervalSeconds: number;
  durationSeconds: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  /** sheet file names, as the cues should reference them */
  sheets: string[];
}

/**
 * The WebVTT index of sprite sheets: cue i covers [i × interval, min((i+1) × interval, duration))
 * and points at tile i, row-major, `rows × columns` tiles per sheet. Pure.
 */
export function spriteVtt(s: SpriteVttInput): string {
  const perSheet = s.columns * s.rows;
  const cues = ['WEBVTT', ''];
  for (let i = 0; i < s.tiles; i++) {
    const start = i * s.intervalSeconds;
    const end = Math.min((i + 1) * s.intervalSeconds, s.durationSeconds);
    if (end <= start) break;
    const sheet = s.sheets[Math.floor(i / perSheet)];
    if (sheet === undefined) throw new Error(`spriteVtt: tile ${i} has no sheet`);
    const k = i % perSheet;
    const x = (k % s.columns) * s.tileWidth;
    const y = Math.floor(k / s.columns) * s.tileHeight;
    cues.push(
      `${vttTime(start)} --> ${vttTime(end)}`,
      `${sheet}#xywh=${x},${y},${s.tileWidth},${s.tileHeight}`,
      '',
    );
  }
  return cues.join('\n');
}

/** hh:mm:ss.mmm */
export function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}
