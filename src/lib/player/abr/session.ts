/**
 * A player as a pure state machine in virtual time, shared by the simulator and the real client:
 * ask `nextAction`, fetch (or wait), then report with `segmentDownloaded` (or `elapse`). The state
 * tracks the buffer, startup delay, stalls, switches and what was played at which rendition.
 */
import { type AbrOptions, type AbrReason, abrOptions, chooseRendition } from './choose.js';
import { checkLadder, type Rendition } from './renditions.js';
import {
  addThroughputSample,
  createThroughputEstimator,
  estimateThroughput,
  type ThroughputOptions,
  type ThroughputState,
} from './throughput.js';

const EPSILON = 1e-9;

/** How the player buffers; every field has a default. */
export interface PlayerOptions {
  /** Playback starts once this much is buffered (or everything left is). Default 4. */
  startupBufferSeconds: number;
  /** After a stall, playback resumes once this much is buffered. Default 4. */
  resumeBufferSeconds: number;
  /** No segment is fetched that would take the buffer above this while playing. Default 30. */
  maxBufferSeconds: number;
  /** Seconds of the title to play from its start; default all of it. */
  playSeconds?: number;
  abr: Partial<AbrOptions>;
  throughput: Partial<ThroughputOptions>;
}

/** Where the player is: filling the first buffer, playing, stalled (rebuffering), or done. */
export type PlayerPhase = 'startup' | 'playing' | 'stalled' | 'ended';

/** A change of rendition between two consecutive segments. */
export interface SwitchEvent {
  /** Session time when the segment of the new rendition was requested. */
  atSeconds: number;
  segment: number;
  from: number;
  to: number;
  reason: AbrReason;
  bufferSeconds: number;
  throughputBps: number | undefined;
}

/** The player's whole state: plain data, never mutated; each step returns a new one. */
export interface PlayerState {
  readonly renditions: readonly Rendition[];
  readonly options: Readonly<Omit<PlayerOptions, 'abr' | 'throughput' | 'playSeconds'>> & { abr: AbrOptions };
  /** Seconds of content to play. */
  readonly targetSeconds: number;
  readonly phase: PlayerPhase;
  /** Session time, seconds since the player started. */
  readonly timeSeconds: number;
  /** Content position played so far, seconds. */
  readonly positionSeconds: number;
  readonly bufferSeconds: number;
  /** Buffered segments, oldest first, to credit played time to renditions. */
  readonly buffered: readonly { rendition: number; seconds: number }[];
  /** Next segment to fetch. */
  readonly nextSegment: number;
  /** Content end of the segments fetched so far, seconds. */
  readonly fetchedSeconds: number;
  /** Rendition of the last segment fetched. */
  readonly rendition: number | undefined;
  readonly throughput: ThroughputState;
  readonly startupSeconds: number | undefined;
  readonly rebufferSeconds: number;
  readonly rebufferCount: number;
  readonly bytes: number;
  readonly switches: readonly SwitchEvent[];
  /** Per rendition: segments fetched, and seconds played. */
  readonly segmentsFetched: readonly number[];
  readonly secondsPlayed: readonly number[];
}

/** What the player wants next. */
export type PlayerAction =
  | { kind: 'fetch'; segment: number; rendition: number; reason: AbrReason }
  | { kind: 'wait'; seconds: number }
  | { kind: 'done' };

/** A new session at time 0 with an empty buffer. Throws if the ladder cannot be switched within. */
export function startPlayback(
  renditions: readonly Rendition[],
  options: Partial<PlayerOptions> = {},
): PlayerState {
  checkLadder(renditions);
  const o = {
    startupBufferSeconds: options.startupBufferSeconds ?? 4,
    resumeBufferSeconds: options.resumeBufferSeconds ?? 4,
    maxBufferSeconds: options.maxBufferSeconds ?? 30,
    abr: abrOptions(options.abr),
  };
  const title = (renditions[0]?.segments ?? []).reduce((sum, s) => sum + s.durationSeconds, 0);
  const targetSeconds = Math.min(title, options.playSeconds ?? title);
  if (!(targetSeconds > 0)) throw new RangeError(`nothing to play (playSeconds ${options.playSeconds})`);
  return {
    renditions,
    options: o,
    targetSeconds,
    phase: 'startup',
    timeSeconds: 0,
    positionSeconds: 0,
    bufferSeconds: 0,
    buffered: [],
    nextSegment: 0,
    fetchedSeconds: 0,
    rendition: undefined,
    throughput: createThroughputEstimator(options.throughput),
    startupSeconds: undefined,
    rebufferSeconds: 0,
    rebufferCount: 0,
    bytes: 0,
    switches: [],
    segmentsFetched: renditions.map(() => 0),
    secondsPlayed: renditions.map(() => 0),
  };
}

/**
 * The next step: fetch a segment (at the rendition the ABR logic chooses), wait (the buffer is
 * full, or everything needed is fetched and only has to play out), or done.
 */
export function nextAction(state: PlayerState): PlayerAction {
  if (state.phase === 'ended') return { kind: 'done' };
  const remaining = state.targetSeconds - state.positionSeconds;
  if (state.fetchedSeconds >= state.targetSeconds - EPSILON) return { kind: 'wait', seconds: remaining };
  const segment = state.nextSegment;
  const duration = state.renditions[0]?.segments[segment]?.durationSeconds ?? 0;
  const excess = state.bufferSeconds + duration - state.options.maxBufferSeconds;
  if (state.phase === 'playing' && excess > EPSILON) return { kind: 'wait', seconds: excess };
  const decision = chooseRendition(
    {
      bitratesBps: state.renditions.map((r) => r.bitrateBps),
      current: state.rendition,
      throughputBps: estimateThroughput(state.throughput),
      bufferSeconds: state.bufferSeconds,
    },
    state.options.abr,
  );
  return { kind: 'fetch', segment, rendition: decision.index, reason: decision.reason };
}

/** Lets `seconds` pass with no download finishing: playback drains the buffer, or stalls. */
export function elapse(state: PlayerState, seconds: number): PlayerState {
  if (!(seconds > 0) || state.phase === 'ended') return state;
  if (state.phase === 'startup') return { ...state, timeSeconds: state.timeSeconds + seconds };
  if (state.phase === 'stalled') {
    return {
      ...state,
      timeSeconds: state.timeSeconds + seconds,
      rebufferSeconds: state.rebufferSeconds + seconds,
    };
  }
  const play = Math.min(seconds, state.bufferSeconds, state.targetSeconds - state.positionSeconds);
  const secondsPlayed = [...state.secondsPlayed];
  const buffered = [...state.buffered];
  let left = play;
  while (left > EPSILON && buffered[0]) {
    const head = buffered[0];
    const taken = Math.min(left, head.seconds);
    secondsPlayed[head.rendition] = (secondsPlayed[head.rendition] ?? 0) + taken;
    left -= taken;
    if (taken >= head.seconds - EPSILON) buffered.shift();
    else buffered[0] = { ...head, seconds: head.seconds - taken };
  }
  const played: PlayerState = {
    ...state,
    timeSeconds: state.timeSeconds + play,
    positionSeconds: state.positionSeconds + play,
    bufferSeconds: Math.max(0, state.bufferSeconds - play),
    buffered,
    secondsPlayed,
  };
  if (played.positionSeconds >= played.targetSeconds - EPSILON) return { ...played, phase: 'ended' };
  const stall = seconds - play;
  if (stall <= EPSILON) return played;
  return {
    ...played,
    phase: 'stalled',
    timeSeconds: played.timeSeconds + stall,
    rebufferSeconds: played.rebufferSeconds + stall,
    rebufferCount: played.rebufferCount + 1,
  };
}

/**
 * A fetch finished after `seconds` (playback went on meanwhile) having moved `bytes`: the segment
 * joins the buffer, the throughput estimate learns from it, and playback starts or resumes when
 * the buffer allows.
 */
export function segmentDownloaded(
  state: PlayerState,
  fetch: { segment: number; rendition: number; reason: AbrReason },
  measured: { bytes: number; seconds: number },
): PlayerState {
  const duration = state.renditions[fetch.rendition]?.segments[fetch.segment]?.durationSeconds;
  if (duration === undefined || fetch.segment !== state.nextSegment) {
    throw new RangeError(
      `segment ${fetch.segment} of rendition ${fetch.rendition} is not the one to fetch next`,
    );
  }
  const after = elapse(state, measured.seconds);
  const switched = state.rendition !== undefined && state.rendition !== fetch.rendition;
  const segmentsFetched = [...after.segmentsFetched];
  segmentsFetched[fetch.rendition] = (segmentsFetched[fetch.rendition] ?? 0) + 1;
  const next: PlayerState = {
    ...after,
    bufferSeconds: after.bufferSeconds + duration,
    buffered: [...after.buffered, { rendition: fetch.rendition, seconds: duration }],
    nextSegment: fetch.segment + 1,
    fetchedSeconds: after.fetchedSeconds + duration,
    rendition: fetch.rendition,
    throughput: addThroughputSample(after.throughput, measured),
    bytes: after.bytes + measured.bytes,
    segmentsFetched,
    switches: switched
      ? [
          ...after.switches,
          {
            atSeconds: state.timeSeconds,
            segment: fetch.segment,
            from: state.rendition ?? 0,
            to: fetch.rendition,
            reason: fetch.reason,
            bufferSeconds: state.bufferSeconds,
            throughputBps: estimateThroughput(state.throughput),
          },
        ]
      : after.switches,
  };
  if (next.phase === 'ended') return next;
  const left = next.targetSeconds - next.positionSeconds;
  const allIn = next.fetchedSeconds >= next.targetSeconds - EPSILON;
  if (
    next.phase === 'startup' &&
    (allIn || next.bufferSeconds >= Math.min(next.options.startupBufferSeconds, left))
  ) {
    return { ...next, phase: 'playing', startupSeconds: next.timeSeconds };
  }
  if (
    next.phase === 'stalled' &&
    (allIn || next.bufferSeconds >= Math.min(next.options.resumeBufferSeconds, left))
  ) {
    return { ...next, phase: 'playing' };
  }
  return next;
}
