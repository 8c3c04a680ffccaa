import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { MediaInfo, SubtitleInfo } from './probe.js';
import { ffmpegBase, mediaPath, type RunOptions, runTool, sourceName } from './tools.js';

export interface SubtitleTrack {
  /** stream index in the source */
  index: number;
  language: string;
  title: string | null;
  default: boolean;
  forced: boolean;
  /** the WebVTT file, relative to outDir, e.g. "subtitles/eng.vtt" */
  file: string;
}

export interface SubtitleResult {
  tracks: SubtitleTrack[];
  /** bitmap subtitles (DVD, PGS, DVB) cannot become WebVTT without OCR */
  skipped: Array<{ index: number; codec: string; language: string }>;
}

/**
 * Convert the source's text subtitle tracks (mov_text, SubRip, ASS, WebVTT…) to WebVTT files in
 * `outDir/subtitles/`, one per track, named by language ("eng.vtt", "eng-2.vtt", "eng-forced.vtt").
 * Cue times are shifted to the video's timeline (the first frame is 0, as in the renditions).
 * One ffmpeg run reads the source once for all tracks.
 */
export async function extractSubtitles(
  source: string,
  info: MediaInfo,
  outDir: string,
  opts: RunOptions = {},
): Promise<SubtitleResult> {
  const text = info.subtitles.filter((s) => s.text);
  const skipped = info.subtitles
    .filter((s) => !s.text)
    .map((s) => ({ index: s.index, codec: s.codec, language: s.language }));
  if (text.length === 0) return { tracks: [], skipped };

  const names = subtitleFileNames(text);
  const tracks: SubtitleTrack[] = text.map((s, i) => ({
    index: s.index,
    language: s.language,
    title: s.title,
    default: s.default,
    forced: s.forced,
    file: `subtitles/${names[i]}`,
  }));
  await mkdir(join(outDir, 'subtitles'), { recursive: true });
  const tmp = (t: SubtitleTrack) =>
    join(outDir, 'subtitles', `.${basename(t.file)}.partial-${process.pid}.vtt`);
  const offset = info.video ? Math.max(0, info.video.startSeconds - info.startSeconds) : 0;
  const args = [...ffmpegBase()];
  if (offset > 0.0005) args.push('-itsoffset', (-offset).toFixed(6));
  args.push('-i', mediaPath(source));
  for (const t of tracks)
    args.push('-map', `0:${t.index}`, '-c:s', 'webvtt', '-f', 'webvtt', mediaPath(tmp(t)));
  try {
    await runTool(
      'ffmpeg',
      args,
      `converting ${tracks.length} subtitle track(s) of ${sourceName(source)} to WebVTT`,
      opts,
    );
    for (const t of tracks) await rename(tmp(t), join(outDir, t.file));
  } catch (e) {
    for (const t of tracks) await rm(tmp(t), { force: true });
    throw e;
  }
  return { tracks, skipped };
}

/** "eng.vtt", a second English track "eng-2.vtt", a forced one "eng-forced.vtt". Pure. */
export function subtitleFileNames(tracks: Array<Pick<SubtitleInfo, 'language' | 'forced'>>): string[] {
  const seen = new Map<string, number>();
  return tracks.map((t) => {
    const lang = t.language.toLowerCase().replace(/[^a-z0-9-]/g, '') || 'und';
    const base = t.forced ? `${lang}-forced` : lang;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? `${base}.vtt` : `${base}-${n}.vtt`;
  });
}
