import { type BandwidthProfile, downloadSeconds } from './bandwidth.js';
import type { AbrReason } from './choose.js';
import type { Rendition } from './renditions.js';
import {
  elapse,
  nextAction,
  type PlayerOptions,
  type PlayerState,
  type SwitchEvent,
  segmentDownloaded,
  startPlayback,
} from './session.js';
import { estimateThroughput } from './throughput.js';

/** One simulated segment download. */
export interface DownloadRecord {
  segment: number;
  rendition: string;
  reason: AbrReason;
  startSeconds: number;
  seconds: number;
  bytes: number;
  bufferBeforeSeconds: number;
  /** Estimate after this download, bits/s. */
  throughputBps: number | undefined;
}

/** What a session did; JSON-able, for tests and `flix play --json`. */
export interface PlaybackReport {
  /** False when the link went to 0 for good before the content was played. */
  completed: boolean;
  playedSeconds: number;
  /** Session time at the end. Completed: startup + played + rebuffering. */
  wallSeconds: number;
  startupSeconds: number | undefined;
  rebufferSeconds: number;
  rebufferCount: number;
  bytes: number;
  /** Played-time-weighted average bitrate, bits/s. */
  averageBitrateBps: number;
  /** Rendition of the last segment fetched. */
  finalRendition: string | undefined;
  switches: (Omit<SwitchEvent, 'from' | 'to'> & { from: string; to: string })[];
  renditions: { id: string; bitrateBps: number; segments: number; playedSeconds: number }[];
  downloads: DownloadRecord[];
}

/** Summarizes a player state (and the downloads that led to it) as a report. */
export function playbackReport(state: PlayerState, downloads: DownloadRecord[] = []): PlaybackReport {
  const id = (i: number | undefined) => (i === undefined ? undefined : state.renditions[i]?.id);
  const weighted = state.renditions.reduce(
    (sum, r, i) => sum + r.bitrateBps * (state.secondsPlayed[i] ?? 0),
    0,
  );
  return {
    completed: state.phase === 'ended',
    playedSeconds: state.positionSeconds,
    wallSeconds: state.timeSeconds,
    startupSeconds: state.startupSeconds,
    rebufferSeconds: state.rebufferSeconds,
    rebufferCount: state.rebufferCount,
    bytes: state.bytes,
    averageBitrateBps: state.positionSeconds > 0 ? weighted / state.positionSeconds : 0,
    finalRendition: id(state.rendition),
    switches: state.switches.map((s) => ({ ...s, from: id(s.from) ?? '?', to: id(s.to) ?? '?' })),
    renditions: state.renditions.map((r, i) => ({
      id: r.id,
      bitrateBps: r.bitrateBps,
      segments: state.segmentsFetched[i] ?? 0,
      playedSeconds: state.secondsPlayed[i] ?? 0,
    })),
    downloads,
  };
}

/**
 * Plays `renditions` over a link shaped by `profile`, in virtual time: each fetch takes as long as
 * its bytes need under the profile from the moment it starts. Deterministic and instant.
 */
export function simulatePlayback(
  renditions: readonly Rendition[],
  profile: BandwidthProfile,
  options: Partial<PlayerOptions> = {},
): PlaybackReport {
  let state = startPlayback(renditions, options);
  const downloads: DownloadRecord[] = [];
  const maxSteps = 3 * (renditions[0]?.segments.length ?? 0) + 10;
  for (let step = 0; step <= maxSteps; step++) {
    const action = nextAction(state);
    if (action.kind === 'done') return playbackReport(state, downloads);
    if (action.kind === 'wait') {
      state = elapse(state, action.seconds);
      continue;
    }
    const bytes = state.renditions[action.rendition]?.segments[action.segment]?.bytes ?? 0;
    const seconds = downloadSeconds(profile, bytes, state.timeSeconds);
    if (!Number.isFinite(seconds)) return playbackReport(state, downloads);
    const before = state;
    state = segmentDownloaded(state, action, { bytes, seconds });
    downloads.push({
      segment: action.segment,
      rendition: renditions[action.rendition]?.id ?? '?',
      reason: action.reason,
      startSeconds: before.timeSeconds,
      seconds,
      bytes,
      bufferBeforeSeconds: before.bufferSeconds,
      throughputBps: estimateThroughput(state.throughput),
    });
  }
  throw new Error(`playback simulation made no progress after ${maxSteps} steps (a bug in flix)`);
}
