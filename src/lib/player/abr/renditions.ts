import type { Presentation } from '../../media/manifests/presentation.js';

/** One media segment of a rendition. */
export interface SegmentInfo {
  durationSeconds: number;
  bytes: number;
}

/**
 * A rendition as the player sees it. `bitrateBps` is the declared bitrate the choice uses (HLS
 * AVERAGE-BANDWIDTH or DASH @bandwidth); segment sizes are what a download actually costs.
 */
export interface Rendition {
  id: string;
  bitrateBps: number;
  segments: readonly SegmentInfo[];
}

/** A rendition whose segments are exactly its bitrate × their duration (for simulations). */
export function constantBitrateRendition(
  id: string,
  bitrateBps: number,
  title: { durationSeconds: number; segmentSeconds: number },
): Rendition {
  const segments: SegmentInfo[] = [];
  for (let t = 0; t < title.durationSeconds - 1e-9; t += title.segmentSeconds) {
    const durationSeconds = Math.min(title.segmentSeconds, title.durationSeconds - t);
    segments.push({ durationSeconds, bytes: Math.round((bitrateBps * durationSeconds) / 8) });
  }
  return { id, bitrateBps, segments };
}

/**
 * Checks a ladder the player can switch within: at least one rendition, bitrates increasing, and
 * every rendition cut into the same segments (same count and durations: keyframe-aligned, as flix
 * packages them). Throws an Error naming the first problem.
 */
export function checkLadder(renditions: readonly Rendition[]): void {
  const first = renditions[0];
  if (!first) throw new Error('the ladder has no renditions');
  if (first.segments.length === 0) throw new Error(`rendition ${first.id} has no segments`);
  renditions.forEach((r, i) => {
    const before = renditions[i - 1];
    if (before && r.bitrateBps <= before.bitrateBps) {
      throw new Error(
        `rendition ${r.id} (${r.bitrateBps} bps) is not above ${before.id} (${before.bitrateBps} bps)`,
      );
    }
    if (r.segments.length !== first.segments.length) {
      throw new Error(
        `rendition ${r.id} has ${r.segments.length} segments, ${first.id} has ${first.segments.length}`,
      );
    }
    r.segments.forEach((s, k) => {
      if (Math.abs(s.durationSeconds - (first.segments[k]?.durationSeconds ?? 0)) > 1e-3) {
        throw new Error(`segment ${k} of ${r.id} lasts ${s.durationSeconds}s, not as long as in ${first.id}`);
      }
    });
  });
}

/**
 * The video tracks as the ABR state machine's ladder. Segment sizes are not in the manifests, so
 * they are estimated from the bitrate (the real client measures what each download moved).
 * Throws if the ladder cannot be switched within (see checkLadder).
 */
export function renditionsOf(p: Presentation, fromSegment = 0): Rendition[] {
  const ladder = p.video.map((t) => ({
    id: t.id,
    bitrateBps: t.bitrateBps,
    segments: t.segments.slice(fromSegment).map((s) => ({
      durationSeconds: s.durationSeconds,
      bytes: Math.round((t.bitrateBps * s.durationSeconds) / 8),
    })),
  }));
  checkLadder(ladder);
  return ladder;
}
