import { access, readFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { checkConformance } from './conformance.js';
import type { Ladder, Rendition } from './ladder.js';
import { filesInMpd } from './manifests/dash.js';
import { filesInHlsPlaylist, hlsSegments } from './manifests/hls.js';
import { probeMedia } from './probe.js';
import { mediaPath, type RunOptions, runTool } from './tools.js';

/** The output lasts as long as the source, give or take one segment. */
export function durationMatches(sourceSeconds: number, outSeconds: number, segmentSeconds: number): boolean {
  return Number.isFinite(outSeconds) && Math.abs(sourceSeconds - outSeconds) <= segmentSeconds + 1e-6;
}

/** Presentation times of a file's (or playlist's) video keyframes, sorted; decodes keyframes only. */
export async function keyframeTimes(file: string, opts: RunOptions = {}): Promise<number[]> {
  const { stdout } = await runTool(
    'ffprobe',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-select_streams',
      'v:0',
      '-skip_frame',
      'nokey',
      '-show_entries',
      'frame=best_effort_timestamp_time',
      '-of',
      'csv=p=0',
      mediaPath(file),
    ],
    `listing the keyframes of ${file}`,
    opts,
  );
  return stdout
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
}

/** Segment start times for segments of `segmentSeconds` over `durationSeconds`. Pure. */
export function segmentBoundaries(durationSeconds: number, segmentSeconds: number): number[] {
  const n = Math.max(1, Math.ceil(durationSeconds / segmentSeconds - 1e-6));
  return Array.from({ length: n }, (_, k) => k * segmentSeconds);
}

/**
 * What is wrong with a keyframe list given where segments start: every segment must start on a
 * keyframe and there must be no keyframe elsewhere (a scene-cut keyframe means the renditions'
 * GOPs drift apart). Times are taken relative to the first keyframe, which absorbs a start offset
 * (fragmented MP4 read through HLS starts at the B-frame delay). Pure; [] when all is well.
 */
export function keyframeProblems(
  keyframes: number[],
  boundaries: number[],
  toleranceSeconds: number,
): string[] {
  if (keyframes.length === 0) return ['no keyframes at all'];
  const t0 = keyframes[0] as number;
  const rel = keyframes.map((k) => k - t0);
  const problems: string[] = [];
  for (const b of boundaries) {
    if (!rel.some((k) => Math.abs(k - b) <= toleranceSeconds)) {
      problems.push(`no keyframe where the segment at ${b.toFixed(3)} s starts`);
    }
  }
  for (const k of rel) {
    if (!boundaries.some((b) => Math.abs(k - b) <= toleranceSeconds)) {
      problems.push(`keyframe at ${k.toFixed(3)} s is not on a segment boundary`);
    }
  }
  return problems;
}

export interface RenditionCheck {
  ok: boolean;
  problems: string[];
  codec: string | null;
  width: number;
  height: number;
  pixFmt: string | null;
  frames: number | null;
  durationSeconds: number;
  keyframes: number[];
}

/**
 * Check one assembled rendition against its plan: ffprobe reads it without a complaint; one H.264
 * 4:2:0 8-bit video stream at the planned size; all the title's frames; the title's duration
 * within a segment; a keyframe at every segment boundary and nowhere else.
 */
export async function checkRendition(
  file: string,
  expected: { rendition: Rendition; ladder: Ladder },
  opts: RunOptions = {},
): Promise<RenditionCheck> {
  const { rendition, ladder } = expected;
  const problems: string[] = [];
  const { stderr } = await runTool(
    'ffprobe',
    ['-hide_banner', '-loglevel', 'error', '-show_format', '-show_streams', mediaPath(file)],
    `probing ${file}`,
    opts,
  );
  if (stderr.trim()) problems.push(`ffprobe complained: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const info = await probeMedia(file, opts);
  const v = info.video;
  if (!v) {
    return {
      ok: false,
      problems: [...problems, 'no video stream'],
      codec: null,
      width: 0,
      height: 0,
      pixFmt: null,
      frames: null,
      durationSeconds: info.durationSeconds,
      keyframes: [],
    };
  }
  if (v.codec !== 'h264') problems.push(`codec is ${v.codec}, expected h264`);
  if (v.pixFmt !== 'yuv420p') problems.push(`pixel format is ${v.pixFmt}, expected yuv420p`);
  if (v.width !== rendition.width || v.height !== rendition.height) {
    problems.push(`size is ${v.width}×${v.height}, expected ${rendition.width}×${rendition.height}`);
  }
  if (info.audio) problems.push('has an audio stream; renditions are video only');
  if (v.frames !== null && v.frames !== ladder.totalFrames) {
    problems.push(`${v.frames} frames, expected ${ladder.totalFrames}`);
  }
  if (!durationMatches(ladder.durationSeconds, v.durationSeconds, ladder.segmentSeconds)) {
    problems.push(`lasts ${v.durationSeconds.toFixed(3)} s, expected ${ladder.durationSeconds.toFixed(3)} s`);
  }
  const keyframes = await keyframeTimes(file, opts);
  problems.push(
    ...keyframeProblems(
      keyframes,
      segmentBoundaries(ladder.durationSeconds, ladder.segmentSeconds),
      0.5 / ladder.fps,
    ),
  );
  return {
    ok: problems.length === 0,
    problems,
    codec: v.codec,
    width: v.width,
    height: v.height,
    pixFmt: v.pixFmt,
    frames: v.frames,
    durationSeconds: v.durationSeconds,
    keyframes,
  };
}

export interface PackageCheck {
  ok: boolean;
  problems: string[];
  /** every file the manifests name, relative to outDir */
  named: string[];
}

/**
 * Check a packaged title: every file named by the HLS master (and, through it, every media
 * playlist) and by the MPD exists, both manifests name the very same media segments (one set
 * of segments, two manifests), and both describe those segments exactly (`checkConformance`).
 */
export async function checkPackage(
  outDir: string,
  pkg: { hlsMaster: string; dashManifest: string },
): Promise<PackageCheck> {
  const problems: string[] = [];
  const hls = new Set<string>();
  const queue = [pkg.hlsMaster];
  while (queue.length > 0) {
    const playlist = queue.shift() as string;
    const text = await readFile(join(outDir, playlist), 'utf8');
    for (const f of filesInHlsPlaylist(text)) {
      const rel = posix.join(posix.dirname(playlist), f);
      if (hls.has(rel)) continue;
      hls.add(rel);
      if (rel.endsWith('.m3u8')) queue.push(rel);
    }
  }
  const mpdDir = posix.dirname(pkg.dashManifest);
  const dash = new Set(
    filesInMpd(await readFile(join(outDir, pkg.dashManifest), 'utf8')).map((f) => posix.join(mpdDir, f)),
  );
  const named = [...new Set([...hls, ...dash])].sort();
  for (const f of named) {
    try {
      await access(join(outDir, f));
    } catch {
      problems.push(`${f} is named by a manifest but does not exist`);
    }
  }
  const hlsSegmentsOnly = [...hls].filter((f) => !f.endsWith('.m3u8'));
  const onlyHls = hlsSegmentsOnly.filter((f) => !dash.has(f));
  const onlyDash = [...dash].filter((f) => !hls.has(f));
  if (onlyHls.length) problems.push(`named by HLS only: ${onlyHls.slice(0, 5).join(', ')}`);
  if (onlyDash.length) problems.push(`named by DASH only: ${onlyDash.slice(0, 5).join(', ')}`);
  if (problems.length === 0) {
    problems.push(...(await checkConformance({ ...pkg, read: (f) => readFile(join(outDir, f)) })));
  }
  return { ok: problems.length === 0, problems, named };
}

/**
 * Every segment of an HLS media playlist starts on a keyframe, and there is no other keyframe:
 * read through the playlist as a player would, compared with the EXTINF boundaries.
 */
export async function checkHlsKeyframes(
  playlistFile: string,
  fps: number,
  opts: RunOptions = {},
): Promise<string[]> {
  const segments = hlsSegments(await readFile(playlistFile, 'utf8'));
  const boundaries: number[] = [];
  let t = 0;
  for (const s of segments) {
    boundaries.push(t);
    t += s.duration;
  }
  const keyframes = await keyframeTimes(playlistFile, opts);
  return keyframeProblems(keyframes, boundaries, 0.5 / fps).map((p) => `${basename(playlistFile)}: ${p}`);
}
