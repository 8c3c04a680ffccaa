/**
 * A packaged title as both manifests describe it: its tracks, where their files are, and the
 * timeline of every segment as read from the segments' own boxes. The HLS and DASH writers take
 * this and nothing else, so the two manifests cannot disagree with each other or with the media.
 *
 * Layout (relative to the title's root): `video/<rendition>/init.mp4`, `video/<rendition>/seg-00001.m4s`,
 * …, `video/<rendition>/playlist.m3u8`; the same under `audio/<track>/`; `subtitles/…`; the
 * manifests at the root. One directory per rendition lets a signed URL open only the renditions
 * a viewer's plan allows.
 */

export interface PackagedSegment {
  /** relative to the title's root */
  uri: string;
  /** on the track's timeline, in its timescale */
  start: number;
  duration: number;
  bytes: number;
}

export interface PackagedTrack {
  kind: 'video' | 'audio';
  /** the rendition (`720p`) or audio track (`stereo`, `surround`) name; also its directory */
  id: string;
  /** the track's directory, `video/720p/` */
  dir: string;
  codecs: string;
  timescale: number;
  /** the init segment, relative to the title's root */
  init: string;
  segments: PackagedSegment[];
  /** bits per second of this track alone: the highest full segment's, and over the whole track */
  peakBitsPerSecond: number;
  averageBitsPerSecond: number;
  /** where presentation starts on the track's timeline (its composition delay), ticks */
  presentationTimeOffset: number;
  width?: number;
  height?: number;
  /** the exact frame rate, `30000/1001` */
  frameRate?: string;
  /** sample aspect ratio, `1:1` */
  sar?: string;
  channels?: number;
  sampleRate?: number;
  language?: string;
  /** a human name for the track, shown in players' menus */
  label?: string;
}

export interface PackagedSubtitle {
  language: string;
  label: string;
  default: boolean;
  forced: boolean;
  /** the .vtt and its one-segment HLS playlist, relative to the title's root */
  file: string;
  playlist: string;
}

export interface PackageModel {
  /** largest first */
  video: PackagedTrack[];
  /** the default track first */
  audio: PackagedTrack[];
  subtitles: PackagedSubtitle[];
  /** the display aspect ratio every rendition shows, `16:9` */
  displayAspectRatio: string;
}

/** A track's length in seconds, from its segments. */
export function trackSeconds(t: PackagedTrack): number {
  const last = t.segments.at(-1);
  const first = t.segments[0];
  if (!last || !first) return 0;
  return (last.start + last.duration - first.start) / t.timescale;
}

/** The title's length: its longest track. */
export function presentationSeconds(m: PackageModel): number {
  return Math.max(0, ...[...m.video, ...m.audio].map(trackSeconds));
}

/** The longest segment of any track, seconds. */
export function maxSegmentSeconds(m: PackageModel): number {
  let max = 0;
  for (const t of [...m.video, ...m.audio])
    for (const s of t.segments) max = Math.max(max, s.duration / t.timescale);
  return max;
}

/** The renditions a player may be offered under a height cap (every one without a cap). */
export function videoUnder(m: PackageModel, maxHeight?: number): PackagedTrack[] {
  if (maxHeight === undefined) return m.video;
  const allowed = m.video.filter((v) => renditionHeight(v) <= maxHeight);
  // a plan below the smallest rendition still plays the smallest
  return allowed.length > 0 ? allowed : m.video.slice(-1);
}

/** A rendition's rung (`720p` → 720): its short side, which is what plans cap. */
export function renditionHeight(t: Pick<PackagedTrack, 'id' | 'width' | 'height'>): number {
  const m = /^(\d+)p$/.exec(t.id);
  if (m) return Number(m[1]);
  return Math.min(t.width ?? 0, t.height ?? 0);
}

/** Peak (over full-length segments) and average bits per second of a track's segments. */
export function trackBitrates(
  segments: readonly PackagedSegment[],
  timescale: number,
  nominalSegmentSeconds: number,
): { peak: number; average: number } {
  const bytes = segments.reduce((n, s) => n + s.bytes, 0);
  const seconds = segments.reduce((n, s) => n + s.duration, 0) / timescale;
  const average = seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
  // a short tail (the audio's last frames) would look like a huge rate over a few milliseconds
  const full = segments.filter((s) => s.duration / timescale >= nominalSegmentSeconds / 2);
  const peak = Math.max(average, ...full.map((s) => Math.ceil((s.bytes * 8 * timescale) / s.duration)));
  return { peak, average };
}
