import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { aspectRatio, type Rendition } from './ladder.js';
import { hlsSegments } from './manifests/hls.js';
import { ffmpegBase, mediaPath, type RunOptions, runTool, withTempDir } from './tools.js';

export interface PackageInput extends RunOptions {
  /** the concatenated renditions, largest first */
  renditions: Array<{ rendition: Rendition; file: string }>;
  /** the title's AAC soundtrack (.m4a), or null for a silent title */
  audioFile: string | null;
  /** created; must not exist or be empty. Filled atomically. */
  outDir: string;
  /** the ladder's exact segment length (one GOP) */
  segmentSeconds: number;
  /** the ladder's displayAspectRatio; default: from the largest rendition's size */
  displayAspectRatio?: string;
  /** the ladder's fps, written as FRAME-RATE in the HLS master */
  fps?: number;
}

export interface PackagedVariant {
  name: string;
  /** DASH Representation id, also the number in the segment names */
  representationId: number;
  /** HLS media playlist, relative to outDir */
  playlist: string;
  width: number;
  height: number;
  /** peak and average bits/s over segments (video + audio for HLS BANDWIDTH) */
  peakBitsPerSecond: number;
  averageBitsPerSecond: number;
}

export interface PackageResult {
  /** relative to outDir */
  hlsMaster: string;
  dashManifest: string;
  /** the audio media playlist, null for a silent title */
  audioPlaylist: string | null;
  variants: PackagedVariant[];
  /** every file written, relative to outDir, sorted */
  files: string[];
}

export const HLS_MASTER = 'master.m3u8';
export const DASH_MANIFEST = 'manifest.mpd';

/**
 * Package a title as CMAF: one set of fragmented-MP4 segments (one GOP each, so they start on the
 * renditions' shared keyframes) described by BOTH a DASH MPD and HLS playlists (ffmpeg's dash
 * muxer with `hls_playlist`). Video renditions form one adaptation set; the audio is its own
 * adaptation set / HLS audio group. Streams are copied, never re-encoded.
 *
 * Afterwards the HLS playlists are made VOD-proper: the master's BANDWIDTH becomes the peak segment
 * bitrate (ffmpeg writes the average, which the HLS spec says is AVERAGE-BANDWIDTH), FRAME-RATE is
 * added, and media playlists get PLAYLIST-TYPE:VOD without the packaging wall-clock dates.
 */
export async function packageTitle(input: PackageInput): Promise<PackageResult> {
  const { renditions, audioFile } = input;
  if (renditions.length === 0) throw new Error('packageTitle: no renditions');
  const first = renditions[0] as { rendition: Rendition };
  const dar = input.displayAspectRatio ?? aspectRatio(first.rendition.width, first.rendition.height);
  return withTempDir(input.outDir, async (dir) => {
    const args = [...ffmpegBase()];
    for (const r of renditions) args.push('-i', mediaPath(r.file));
    if (audioFile) args.push('-i', mediaPath(audioFile));
    renditions.forEach((_, i) => {
      args.push('-map', `${i}:v:0`);
    });
    if (audioFile) args.push('-map', `${renditions.length}:a:0`);
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
      '-hls_playlist',
      '1',
      '-hls_master_name',
      HLS_MASTER,
      '-dash_segment_type',
      'mp4',
      '-format_options',
      'movflags=+cmaf',
      '-adaptation_sets',
      audioFile ? 'id=0,streams=v id=1,streams=a' : 'id=0,streams=v',
      '-init_seg_name',
      'init-$RepresentationID$.$ext$',
      '-media_seg_name',
      'seg-$RepresentationID$-$Number%05d$.$ext$',
      mediaPath(join(dir, DASH_MANIFEST)),
    );
    await runTool('ffmpeg', args, `packaging ${renditions.length} renditions as CMAF (DASH + HLS)`, input);

    // the dash muxer names media playlists media_<representation id>.m3u8; audio comes last
    const stats = async (id: number) => playlistBitrates(dir, `media_${id}.m3u8`, input.segmentSeconds);
    const audio = audioFile ? await stats(renditions.length) : null;
    const variants: PackagedVariant[] = [];
    for (const [i, r] of renditions.entries()) {
      const s = await stats(i);
      variants.push({
        name: r.rendition.name,
        representationId: i,
        playlist: `media_${i}.m3u8`,
        width: r.rendition.width,
        height: r.rendition.height,
        peakBitsPerSecond: s.peak + (audio?.peak ?? 0),
        averageBitsPerSecond: s.average + (audio?.average ?? 0),
      });
    }
    const masterPath = join(dir, HLS_MASTER);
    await writeFile(masterPath, rewriteHlsMaster(await readFile(masterPath, 'utf8'), variants, input.fps));
    for (const id of [...renditions.keys(), ...(audioFile ? [renditions.length] : [])]) {
      const p = join(dir, `media_${id}.m3u8`);
      await writeFile(p, rewriteHlsMedia(await readFile(p, 'utf8')));
    }
    return {
      hlsMaster: HLS_MASTER,
      dashManifest: DASH_MANIFEST,
      audioPlaylist: audioFile ? `media_${renditions.length}.m3u8` : null,
      variants,
      files: (await listFiles(dir)).map((f) => relative(dir, f)).sort(),
    };
  });
}

/** Peak and average bits/s of a media playlist's media segments (the init segment is not counted). */
async function playlistBitrates(
  dir: string,
  playlist: string,
  segmentSeconds: number,
): Promise<{ peak: number; average: number }> {
  const segments = [];
  for (const s of hlsSegments(await readFile(join(dir, playlist), 'utf8'))) {
    segments.push({ bytes: (await stat(join(dir, s.uri))).size, seconds: s.duration });
  }
  return segmentBitrates(segments, segmentSeconds);
}

/**
 * Peak and average bits/s over segments. Segments shorter than half a segment length (the audio's
 * last AAC frame, a short tail) are left out of the peak, where their few bytes over a few
 * milliseconds would look like a huge rate; the average counts everything. Pure.
 */
export function segmentBitrates(
  segments: Array<{ bytes: number; seconds: number }>,
  segmentSeconds: number,
): { peak: number; average: number } {
  const bytes = segments.reduce((n, s) => n + s.bytes, 0);
  const seconds = segments.reduce((n, s) => n + s.seconds, 0);
  const average = seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
  const full = segments.filter((s) => s.seconds >= segmentSeconds / 2);
  const peak = Math.max(average, ...full.map((s) => Math.ceil((s.bytes * 8) / s.seconds)));
  return { peak, average };
}

/**
 * ffmpeg's master playlist with, per variant (matched by its media playlist URI): BANDWIDTH = peak,
 * AVERAGE-BANDWIDTH = average, FRAME-RATE when known; plus EXT-X-INDEPENDENT-SEGMENTS (every
 * segment starts with an IDR frame). Pure.
 */
export function rewriteHlsMaster(text: string, variants: PackagedVariant[], fps?: number): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const uri = lines
        .slice(i + 1)
        .find((l) => l.trim() && !l.startsWith('#'))
        ?.trim();
      const v = variants.find((x) => x.playlist === uri);
      if (v) {
        const attrs = line
          .slice('#EXT-X-STREAM-INF:'.length)
          .replace(/(^|,)BANDWIDTH=\d+/, `$1BANDWIDTH=${v.peakBitsPerSecond}`)
          .replace(/,AVERAGE-BANDWIDTH=\d+|,FRAME-RATE=[\d.]+/g, '');
        const extra = [`AVERAGE-BANDWIDTH=${v.averageBitsPerSecond}`];
        if (fps) extra.push(`FRAME-RATE=${fps.toFixed(3)}`);
        out.push(`#EXT-X-STREAM-INF:${insertAfterBandwidth(attrs, extra.join(','))}`);
        continue;
      }
    }
    out.push(line);
    if (line.startsWith('#EXT-X-VERSION') && !text.includes('#EXT-X-INDEPENDENT-SEGMENTS')) {
      out.push('#EXT-X-INDEPENDENT-SEGMENTS');
    }
  }
  return out.join('\n');
}

function insertAfterBandwidth(attrs: string, extra: string): string {
  const m = /(^|,)BANDWIDTH=\d+/.exec(attrs);
  if (!m) return `${extra},${attrs}`;
  const end = m.index + m[0].length;
  return `${attrs.slice(0, end)},${extra}${attrs.slice(end)}`;
}

/** A media playlist as VOD: PLAYLIST-TYPE:VOD, no EXT-X-PROGRAM-DATE-TIME (packaging time). Pure. */
export function rewriteHlsMedia(text: string): string {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME')) continue;
    out.push(line);
    if (line.startsWith('#EXT-X-VERSION') && !text.includes('#EXT-X-PLAYLIST-TYPE')) {
      out.push('#EXT-X-PLAYLIST-TYPE:VOD');
    }
  }
  return out.join('\n');
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
