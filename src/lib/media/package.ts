import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { aspectRatio, type Rendition } from './ladder.js';
import { writeMpd } from './manifests/dash.js';
import { writeHlsMaster, writeHlsMediaPlaylist, writeSubtitlePlaylist } from './manifests/hls.js';
import {
  type PackagedSegment,
  type PackagedSubtitle,
  type PackagedTrack,
  type PackageModel,
  presentationSeconds,
  renditionHeight,
  trackBitrates,
} from './manifests/package-model.js';
import { readFragment, readInit, type TrackInit } from './mp4/fragments.js';
import { cutsAtSync, cutsNearest, readSamples, type Sample, writeSegments } from './mp4/segmenter.js';
import type { SubtitleTrack } from './subtitles.js';
import { ffmpegBase, mediaPath, type RunOptions, runTool, withTempDir } from './tools.js';

export interface PackageAudio {
  /** the track's name and directory: `stereo`, `surround` */
  id: string;
  label: string;
  /** the encoded soundtrack (.m4a) */
  file: string;
  language?: string;
}

export interface PackageInput extends RunOptions {
  /** the concatenated renditions, largest first */
  renditions: Array<{ rendition: Rendition; file: string }>;
  /** the soundtracks, the default first; empty for a silent title */
  audio: PackageAudio[];
  /** WebVTT tracks already made, their `file` relative to `subtitlesDir` */
  subtitles?: SubtitleTrack[];
  subtitlesDir?: string;
  /** created; must not exist or be empty. Filled atomically. */
  outDir: string;
  /** the ladder's exact segment length (one GOP) */
  segmentSeconds: number;
  /** the ladder's displayAspectRatio; default: from the largest rendition's size */
  displayAspectRatio?: string;
  /** the ladder's exact frame rate, `30000/1001` */
  frameRate?: string;
}

export interface PackageResult {
  /** relative to outDir: every rendition */
  hlsMaster: string;
  dashManifest: string;
  /** manifests offering only the renditions up to a rung, by rung name (for capped plans) */
  capped: Record<string, { hls: string; dash: string }>;
  model: PackageModel;
  /** every file written, relative to outDir, sorted */
  files: string[];
}

export const HLS_MASTER = 'master.m3u8';
export const DASH_MANIFEST = 'manifest.mpd';

/**
 * Package a title as CMAF: one set of fragmented-MP4 segments (one GOP each, so they start on the
 * renditions' shared keyframes) described by both HLS playlists and a DASH MPD. ffmpeg's dash
 * muxer cuts the segments (streams are copied, never re-encoded); everything the manifests say —
 * every duration, start, codec, size and bitrate — is then read from the segments' own boxes, so
 * the manifests describe the media exactly. Each rendition and audio track gets a directory of its
 * own, and beside the manifests that offer every rendition there is a pair per lower rung that
 * offers only the renditions up to it.
 */
export async function packageTitle(input: PackageInput): Promise<PackageResult> {
  const { renditions } = input;
  if (renditions.length === 0) throw new Error('packageTitle: no renditions');
  const first = renditions[0] as { rendition: Rendition };
  const dar = input.displayAspectRatio ?? aspectRatio(first.rendition.width, first.rendition.height);
  return withTempDir(input.outDir, async (dir) => {
    const raw = join(dir, '.segments');
    await mkdir(raw);
    await segment(input, raw, dar);
    const rawVideo = await Promise.all(renditions.map((_, i) => readRawTrack(raw, i)));
    const rawAudio = await Promise.all(input.audio.map((_, j) => readRawTrack(raw, renditions.length + j)));
    // the segment grid: where the first rendition's GOPs start (every rendition shares it)
    const grid = gridOf(rawVideo[0] as RawTrack);
    const video: PackagedTrack[] = [];
    for (const [i, r] of renditions.entries()) {
      const t = rawVideo[i] as RawTrack;
      const track = await placeTrack(
        dir,
        'video',
        r.rendition.name,
        t,
        cutsAtSync(t.samples, t.init.timescale, grid),
        input.segmentSeconds,
      );
      video.push({ ...track, frameRate: input.frameRate, sar: sampleAspect(r.rendition, dar) });
    }
    const audio: PackagedTrack[] = [];
    for (const [j, a] of input.audio.entries()) {
      const t = rawAudio[j] as RawTrack;
      // each audio segment starts on the AAC frame nearest the video segment's start
      const track = await placeTrack(
        dir,
        'audio',
        a.id,
        t,
        cutsNearest(t.samples, t.init.timescale, grid),
        input.segmentSeconds,
      );
      audio.push({ ...track, label: a.label, language: a.language });
    }
    await rm(raw, { recursive: true, force: true });
    const model: PackageModel = {
      video,
      audio,
      subtitles: await placeSubtitles(input, dir),
      displayAspectRatio: dar,
    };
    const capped = await writeManifests(dir, model);
    return {
      hlsMaster: HLS_MASTER,
      dashManifest: DASH_MANIFEST,
      capped,
      model,
      files: (await listFiles(dir)).map((f) => relative(dir, f)).sort(),
    };
  });
}

/** ffmpeg's dash muxer cuts every stream into CMAF segments, `init-<n>.m4s` and `seg-<n>-<k>.m4s`. */
async function segment(input: PackageInput, raw: string, dar: string): Promise<void> {
  const { renditions, audio } = input;
  const args = [...ffmpegBase()];
  for (const r of renditions) args.push('-i', mediaPath(r.file));
  for (const a of audio) args.push('-i', mediaPath(a.file));
  renditions.forEach((_, i) => {
    args.push('-map', `${i}:v:0`);
  });
  audio.forEach((_, j) => {
    args.push('-map', `${renditions.length + j}:a:0`);
  });
  args.push('-c', 'copy');
  // one display aspect ratio for every rendition: the dash muxer refuses an adaptation set whose
  // streams differ, and the encoder's rounding of each sample aspect ratio can differ slightly
  renditions.forEach((_, i) => {
    args.push(`-aspect:v:${i}`, dar);
  });
  args.push(
    '-f',
    'dash',
    // a hair under one GOP, so every keyframe (and only keyframes) starts a segment despite rounding
    '-seg_duration',
    Math.max(0.001, input.segmentSeconds - 0.001).toFixed(6),
    '-use_template',
    '1',
    '-use_timeline',
    '1',
    '-dash_segment_type',
    'mp4',
    '-format_options',
    'movflags=+cmaf',
    '-adaptation_sets',
    audio.length ? 'id=0,streams=v id=1,streams=a' : 'id=0,streams=v',
    '-init_seg_name',
    'init-$RepresentationID$.$ext$',
    '-media_seg_name',
    'seg-$RepresentationID$-$Number%05d$.$ext$',
    mediaPath(join(raw, 'ffmpeg.mpd')),
  );
  await runTool(
    'ffmpeg',
    args,
    `packaging ${renditions.length} renditions and ${audio.length} audio track(s) as CMAF`,
    input,
  );
}

interface RawTrack {
  initBytes: Buffer;
  init: TrackInit;
  samples: Sample[];
  /** the sample each of ffmpeg's segments starts with */
  fragmentStarts: number[];
}

/** The n-th stream as ffmpeg's dash muxer cut it: its init segment and every sample of its segments. */
async function readRawTrack(raw: string, n: number): Promise<RawTrack> {
  const initBytes = await readFile(join(raw, `init-${n}.m4s`));
  const init = readInit(initBytes);
  const names = (await readdir(raw)).filter((f) => f.startsWith(`seg-${n}-`)).sort();
  if (names.length === 0) throw new Error(`ffmpeg wrote no segments for stream ${n}`);
  const samples: Sample[] = [];
  const fragmentStarts: number[] = [];
  for (const name of names) {
    fragmentStarts.push(samples.length);
    samples.push(...readSamples([await readFile(join(raw, name))], init));
  }
  return { initBytes, init, samples, fragmentStarts };
}

/** Seconds where a video track's segments start after the first (its GOPs, as ffmpeg cut them). */
function gridOf(t: RawTrack): number[] {
  const first = t.samples[0]?.decodeTime ?? 0;
  return t.fragmentStarts
    .slice(1)
    .map((i) => ((t.samples[i] as Sample).decodeTime - first) / t.init.timescale);
}

/**
 * Writes a track into `<kind>/<id>/`: its init segment, and its samples cut at `cuts` as CMAF
 * segments; the timeline of each is read back from the segment as written.
 */
async function placeTrack(
  root: string,
  kind: 'video' | 'audio',
  id: string,
  t: RawTrack,
  cuts: number[],
  segmentSeconds: number,
): Promise<PackagedTrack> {
  const dirRel = `${kind}/${id}/`;
  await mkdir(join(root, dirRel), { recursive: true });
  await writeFile(join(root, dirRel, 'init.mp4'), t.initBytes);
  const segments: PackagedSegment[] = [];
  let earliest = 0;
  for (const [k, bytes] of writeSegments(t.init.trackId, t.samples, cuts).entries()) {
    const f = readFragment(bytes, t.init);
    if (k === 0) earliest = f.earliestPresentationTime;
    const uri = `${dirRel}seg-${String(k + 1).padStart(5, '0')}.m4s`;
    await writeFile(join(root, uri), bytes);
    segments.push({ uri, start: f.baseDecodeTime, duration: f.duration, bytes: bytes.length });
  }
  const rates = trackBitrates(segments, t.init.timescale, segmentSeconds);
  return {
    kind,
    id,
    dir: dirRel,
    codecs: t.init.codecs,
    timescale: t.init.timescale,
    init: `${dirRel}init.mp4`,
    segments,
    peakBitsPerSecond: rates.peak,
    averageBitsPerSecond: rates.average,
    // a composition delay the media has: where presentation starts on its timeline
    presentationTimeOffset: Math.max(0, earliest - t.init.editMediaTime),
    width: t.init.width,
    height: t.init.height,
    channels: t.init.channels,
    sampleRate: t.init.sampleRate,
  };
}

/** The WebVTT tracks into `subtitles/`, each with its one-segment playlist. */
async function placeSubtitles(input: PackageInput, root: string): Promise<PackagedSubtitle[]> {
  const tracks = input.subtitles ?? [];
  if (tracks.length === 0 || !input.subtitlesDir) return [];
  await mkdir(join(root, 'subtitles'), { recursive: true });
  const out: PackagedSubtitle[] = [];
  for (const t of tracks) {
    const name = t.file.slice(t.file.lastIndexOf('/') + 1);
    const file = `subtitles/${name}`;
    await rename(join(input.subtitlesDir, t.file), join(root, file));
    out.push({
      language: t.language,
      label: t.title ?? `${t.language}${t.forced ? ' (forced)' : ''}`,
      default: t.default,
      forced: t.forced,
      file,
      playlist: file.replace(/\.vtt$/, '.m3u8'),
    });
  }
  return out;
}

/**
 * Every manifest of the package: the media playlists, and the HLS master and DASH MPD offering
 * every rendition plus a pair per lower rung (`master-480p.m3u8` offers 480p and below).
 */
async function writeManifests(root: string, m: PackageModel): Promise<PackageResult['capped']> {
  for (const t of [...m.video, ...m.audio]) {
    await writeFile(join(root, t.dir, 'playlist.m3u8'), writeHlsMediaPlaylist(t));
  }
  const seconds = presentationSeconds(m);
  for (const s of m.subtitles) await writeFile(join(root, s.playlist), writeSubtitlePlaylist(s, seconds));
  await writeFile(join(root, HLS_MASTER), writeHlsMaster(m));
  await writeFile(join(root, DASH_MANIFEST), writeMpd(m));
  const capped: PackageResult['capped'] = {};
  for (const v of m.video.slice(1)) {
    const maxHeight = renditionHeight(v);
    const names = { hls: `master-${v.id}.m3u8`, dash: `manifest-${v.id}.mpd` };
    await writeFile(join(root, names.hls), writeHlsMaster(m, { maxHeight }));
    await writeFile(join(root, names.dash), writeMpd(m, { maxHeight }));
    capped[v.id] = names;
  }
  return capped;
}

/** The sample aspect ratio that makes a rendition show the title's display aspect ratio. */
function sampleAspect(r: Rendition, dar: string): string {
  const [dw, dh] = dar.split(':').map(Number);
  if (!dw || !dh) return '1:1';
  // sar = dar / (width / height), reduced
  let num = dw * r.height;
  let den = dh * r.width;
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return `${num}:${den}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}
