/**
 * What a player needs from a manifest, whichever protocol described it: video tracks (lowest
 * bitrate first), an optional separate audio track, and per track an init segment and the media
 * segments with their place on the timeline. URIs are as the manifest wrote them (usually relative
 * to the manifest); the fetcher resolves them against whichever edge serves.
 */
/** One media segment: its URI and where it sits on the title's timeline, seconds. */
export interface MediaSegment {
  uri: string;
  startSeconds: number;
  durationSeconds: number;
}

/** A video rendition or the audio track. */
export interface Track {
  /** What a person calls it: `360p`, else the manifest's id. */
  id: string;
  /** The bitrate the ABR choice compares throughput with, bits/s (video + audio, see below). */
  bitrateBps: number;
  width?: number;
  height?: number;
  codecs?: string;
  /** The init segment (EXT-X-MAP / SegmentTemplate@initialization), null when there is none. */
  init: string | null;
  segments: MediaSegment[];
}

/** A title as a player sees it. */
export interface Presentation {
  protocol: 'hls' | 'dash';
  /** Video tracks, bitrate increasing, cut into the same segments. */
  video: Track[];
  audio: Track | null;
  durationSeconds: number;
}

/** `360p` from a height, else the fallback. */
export function trackName(height: number | undefined, fallback: string): string {
  return height ? `${height}p` : fallback;
}

/** Segments from consecutive durations, starting at 0. */
export function timeline(items: Array<{ uri: string; durationSeconds: number }>): MediaSegment[] {
  let t = 0;
  return items.map((s) => {
    const seg = { uri: s.uri, startSeconds: t, durationSeconds: s.durationSeconds };
    t += s.durationSeconds;
    return seg;
  });
}

/** Index of the segment holding `position` seconds (the last one when past the end; 0 before 0). */
export function segmentIndexAt(segments: readonly MediaSegment[], position: number): number {
  if (!(position > 0)) return 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as MediaSegment;
    if (position < s.startSeconds + s.durationSeconds - 1e-6) return i;
  }
  return Math.max(0, segments.length - 1);
}

/** Sorts video tracks by bitrate and drops exact duplicates of a bitrate (the ladder must increase). */
export function sortLadder(tracks: Track[]): Track[] {
  const sorted = [...tracks].sort((a, b) => a.bitrateBps - b.bitrateBps);
  return sorted.filter((t, i) => i === 0 || t.bitrateBps > (sorted[i - 1]?.bitrateBps ?? 0));
}
