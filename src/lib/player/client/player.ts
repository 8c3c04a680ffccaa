/**
 * The real adaptive-bitrate client: reads the title's manifest from the edges, then drives the
 * pure player state machine (src/lib/playback/abr: nextAction / segmentDownloaded / elapse) with
 * real downloads, so every ABR decision is the unit-tested one. A fetch downloads the video
 * segment of the chosen rendition (its init segment first when the rendition changes) and the audio
 * segments up to the same point; the bandwidth profile stretches it (see throttle.ts); waits sleep
 * in wall time. Virtual (media) time runs `speed`× faster than the wall clock. A heartbeat goes out
 * every `heartbeatEverySeconds` of media played and once at the end; heartbeats never stop playback.
 */

import { parseMpd } from '../../media/manifests/dash.js';
import { loadHls } from '../../media/manifests/hls.js';
import { type Presentation, segmentIndexAt, type Track } from '../../media/manifests/presentation.js';
import type { AbrReason } from '../abr/choose.js';
import {
  type BandwidthProfile,
  elapse,
  estimateThroughput,
  nextAction,
  type PlaybackReport,
  type PlayerOptions,
  type PlayerState,
  playbackReport,
  segmentDownloaded,
  startPlayback,
} from '../abr/index.js';
import { renditionsOf } from '../abr/renditions.js';
import type { EdgeFetcher, FailoverEvent, FetchResult } from './fetcher.js';
import { shapeDownload } from './throttle.js';

/** What a heartbeat carries (the body of `POST /api/play/:playId/heartbeat`). */
export interface Heartbeat {
  position: number;
  rendition: string | undefined;
  edge: string;
  bufferSeconds: number;
}

/** One segment fetch (video plus the audio that goes with it). */
export interface SegmentRecord {
  /** Index of the video segment in the title. */
  segment: number;
  rendition: string;
  reason: AbrReason;
  edge: string;
  /** Virtual seconds: when the fetch started, and how long it counted as taking. */
  startSeconds: number;
  seconds: number;
  /** Real wall ms the downloads took, before the profile stretched them. */
  realMs: number;
  videoBytes: number;
  audioBytes: number;
  audioSegments: number;
  bufferBeforeSeconds: number;
  throughputBps: number | undefined;
  cacheStatus: string | null;
}

export type PlayerEvent =
  | { kind: 'manifest'; presentation: Presentation; startSegment: number; startSeconds: number }
  | { kind: 'segment'; record: SegmentRecord; state: PlayerState }
  | { kind: 'failover'; event: FailoverEvent }
  | { kind: 'heartbeat'; heartbeat: Heartbeat; ok: boolean; error?: string };

export interface PlayOptions {
  protocol: 'hls' | 'dash';
  profile: BandwidthProfile;
  /** Virtual time runs this many times faster than the wall clock. Default 1. */
  speed?: number;
  /** Seconds of media to play; default to the end of the title. */
  playSeconds?: number;
  /** Where to start, seconds (the bookmark): playback starts at the segment holding it. Default 0. */
  startPosition?: number;
  player?: Partial<Omit<PlayerOptions, 'playSeconds'>>;
  /** Media seconds between heartbeats. Default 10. */
  heartbeatEverySeconds?: number;
  /** Wall ms (same clock as `now`) when the play request was sent: start latency counts from it. */
  requestSentAtMs?: number;
}

export interface PlayerDeps {
  fetcher: Pick<EdgeFetcher, 'get' | 'edge' | 'failovers' | 'edgeSwitches' | 'served' | 'cache'>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  heartbeat?: (hb: Heartbeat) => Promise<void>;
  onEvent?: (e: PlayerEvent) => void;
  signal?: AbortSignal;
}

/** Why playback stopped. */
export type EndReason = 'end-of-title' | 'duration' | 'link-down' | 'aborted';

/** What a playback did: the state machine's report plus what only real downloads know. */
export interface PlayResult extends Omit<PlaybackReport, 'downloads'> {
  protocol: 'hls' | 'dash';
  endReason: EndReason;
  titleSeconds: number;
  startPositionSeconds: number;
  /** Wall ms from sending the play request (else from loading the manifest) to the first byte of the first video segment. */
  startLatencyMs: number | undefined;
  realSeconds: number;
  edges: Array<{ name: string; objects: number; bytes: number }>;
  /** Objects an edge failed, each asked of the next edge. */
  failovers: FailoverEvent[];
  /** Changes of the edge in use. */
  edgeSwitches: Array<{ from: string; to: string; uri: string }>;
  /** Bytes of the manifest and media playlists. */
  manifestBytes: number;
  /** Bytes of segments, init segments included. */
  videoBytes: number;
  audioBytes: number;
  videoSegments: number;
  audioSegments: number;
  cache: { hits: number; answers: number };
  heartbeats: { sent: number; failed: number; errors: string[] };
  /** All bytes × 8 over the virtual seconds the segment fetches took. */
  meanThroughputBps: number;
  segments: SegmentRecord[];
}

const realSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Reads the manifest ('' on the fetcher) and its media playlists into a Presentation. */
export async function loadPresentation(
  fetcher: Pick<EdgeFetcher, 'get'>,
  protocol: 'hls' | 'dash',
): Promise<{ presentation: Presentation; bytes: number }> {
  let bytes = 0;
  const text = async (uri: string) => {
    const r = await fetcher.get(uri, { text: true });
    bytes += r.bytes;
    return r.text ?? '';
  };
  const manifest = await text('');
  const presentation = protocol === 'hls' ? await loadHls(manifest, text) : parseMpd(manifest);
  return { presentation, bytes };
}

/** Plays a title from the edges behind `deps.fetcher`; see the file comment. */
export async function playTitle(options: PlayOptions, deps: PlayerDeps): Promise<PlayResult> {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, not ${speed}`);
  const now = deps.now ?? (() => performance.now());
  const wallStart = now();
  const loaded = await loadPresentation(deps.fetcher, options.protocol);
  return new PlayRun(options, deps, loaded, speed, now, wallStart).play();
}

/**
 * Heartbeats at every `every` seconds of media played (one however many marks a step crossed),
 * and a last one at the end. A heartbeat that fails is counted; it never stops playback.
 */
class HeartbeatPacer {
  readonly counts = { sent: 0, failed: 0, errors: [] as string[] };
  private readonly pending: Promise<void>[] = [];
  next: number;

  constructor(
    private readonly deps: PlayerDeps,
    readonly every: number,
    private readonly describe: (view: PlayerState) => Heartbeat,
  ) {
    this.next = every;
  }

  get enabled(): boolean {
    return this.deps.heartbeat !== undefined;
  }

  /** A heartbeat when the position crossed the next mark. */
  maybe(view: PlayerState): void {
    if (view.phase === 'ended' || view.positionSeconds < this.next - 1e-9) return;
    this.pending.push(this.send(view));
    while (this.next <= view.positionSeconds + 1e-9) this.next += this.every;
  }

  /** The last heartbeat, and every one still under way. */
  async finish(view: PlayerState): Promise<void> {
    this.pending.push(this.send(view));
    await Promise.all(this.pending);
  }

  private send(view: PlayerState): Promise<void> {
    const heartbeat = this.deps.heartbeat;
    if (!heartbeat) return Promise.resolve();
    const hb = this.describe(view);
    this.counts.sent++;
    return heartbeat(hb).then(
      () => this.deps.onEvent?.({ kind: 'heartbeat', heartbeat: hb, ok: true }),
      (e: unknown) => {
        this.counts.failed++;
        const error = e instanceof Error ? e.message : String(e);
        if (this.counts.errors.length < 5) this.counts.errors.push(error);
        this.deps.onEvent?.({ kind: 'heartbeat', heartbeat: hb, ok: false, error });
      },
    );
  }
}

/** One playback: the state machine's actions carried out against the edges, step by step. */
class PlayRun {
  private readonly p: Presentation;
  private readonly first: Track;
  private readonly startSegment: number;
  /** where playback starts on the title's timeline, seconds */
  private readonly offset: number;
  /** seconds from the start segment to the end of the title, and how many of them to play */
  private readonly left: number;
  private readonly playSeconds: number;
  private readonly sleep: NonNullable<PlayerDeps['sleep']>;
  private readonly beats: HeartbeatPacer;

  private state: PlayerState;
  /** when `state` was last set: while a fetch or a wait is under way, playback goes on from it */
  private stateAtMs: number;
  private videoBytes = 0;
  private audioBytes = 0;
  private audioSegments = 0;
  private audioNext: number;
  private audioInitDone = false;
  private lastInit: string | null = null;
  private firstByteAt: number | undefined;
  private fetchSeconds = 0;
  private endReason: EndReason | undefined;
  private readonly records: SegmentRecord[] = [];

  constructor(
    private readonly options: PlayOptions,
    private readonly deps: PlayerDeps,
    private readonly loaded: { presentation: Presentation; bytes: number },
    private readonly speed: number,
    private readonly now: () => number,
    private readonly wallStart: number,
  ) {
    this.p = loaded.presentation;
    this.first = this.p.video[0] as Track;
    this.startSegment = segmentIndexAt(this.first.segments, options.startPosition ?? 0);
    this.offset = this.first.segments[this.startSegment]?.startSeconds ?? 0;
    this.left = this.first.segments.slice(this.startSegment).reduce((n, s) => n + s.durationSeconds, 0);
    this.playSeconds = Math.min(this.left, options.playSeconds ?? this.left);
    this.sleep = deps.sleep ?? realSleep;
    this.audioNext = this.p.audio ? segmentIndexAt(this.p.audio.segments, this.offset) : 0;
    this.state = startPlayback(renditionsOf(this.p, this.startSegment), {
      ...options.player,
      playSeconds: this.playSeconds,
    });
    this.stateAtMs = now();
    this.beats = new HeartbeatPacer(deps, options.heartbeatEverySeconds ?? 10, (view) => ({
      position: round3(this.offset + view.positionSeconds),
      rendition: view.rendition === undefined ? undefined : this.p.video[view.rendition]?.id,
      edge: deps.fetcher.edge.name,
      bufferSeconds: round3(view.bufferSeconds),
    }));
  }

  async play(): Promise<PlayResult> {
    const { signal } = this.deps;
    this.deps.onEvent?.({
      kind: 'manifest',
      presentation: this.p,
      startSegment: this.startSegment,
      startSeconds: this.offset,
    });
    const ticker = this.beats.enabled
      ? setInterval(
          () => this.beats.maybe(this.current()),
          Math.max(50, Math.min(1000, (this.beats.every * 1000) / this.speed / 10)),
        )
      : undefined;
    const maxSteps = 4 * this.first.segments.length + 1000;
    try {
      for (let step = 0; step < maxSteps; step++) {
        if (signal?.aborted) {
          this.endReason = 'aborted';
          break;
        }
        const action = nextAction(this.state);
        if (action.kind === 'done') break;
        if (action.kind === 'wait') await this.wait(action.seconds);
        else if (!(await this.download(action))) break;
      }
    } finally {
      clearInterval(ticker);
    }
    if (this.state.phase === 'ended') {
      this.endReason ??= this.playSeconds < this.left - 1e-6 ? 'duration' : 'end-of-title';
    }
    this.endReason ??= 'aborted';
    await this.beats.finish(this.state);
    return this.result(this.endReason);
  }

  private setState(next: PlayerState): void {
    this.state = next;
    this.stateAtMs = this.now();
  }

  /** The state as of now. */
  private current(): PlayerState {
    return elapse(this.state, Math.max(0, ((this.now() - this.stateAtMs) / 1000) * this.speed));
  }

  /** Waits (buffer full, or paused), in pieces no longer than to the next heartbeat. */
  private async wait(seconds: number): Promise<void> {
    const { signal } = this.deps;
    const toBeat = this.state.phase === 'playing' ? this.beats.next - this.state.positionSeconds : seconds;
    const piece = Math.max(1e-3, Math.min(seconds, toBeat));
    const t = this.now();
    await this.sleep((piece / this.speed) * 1000, signal);
    const slept = ((this.now() - t) / 1000) * this.speed;
    // a sleep cut short by Ctrl-C counts only the time that passed
    this.setState(elapse(this.state, signal?.aborted ? slept : Math.max(piece, slept)));
    this.beats.maybe(this.current());
  }

  /** Sleeps `ms` of wall time, waking at the heartbeat marks playback crosses meanwhile. */
  private async sleepWithBeats(ms: number): Promise<void> {
    const { signal } = this.deps;
    const until = this.now() + ms;
    for (let left = ms; left > 0 && !signal?.aborted; left = until - this.now()) {
      const view = this.current();
      const toMark = ((this.beats.next - view.positionSeconds) / this.speed) * 1000;
      const piece =
        view.phase === 'playing' && this.beats.enabled ? Math.min(left, Math.max(1, toMark)) : left;
      await this.sleep(piece, signal);
      this.beats.maybe(this.current());
    }
  }

  /**
   * Downloads the chosen video segment and the audio that goes with it, side by side as players
   * do, stretched by the bandwidth profile. False when playback must stop (Ctrl-C, link down).
   */
  private async download(
    action: Extract<ReturnType<typeof nextAction>, { kind: 'fetch' }>,
  ): Promise<boolean> {
    const track = this.p.video[action.rendition] as Track;
    const index = this.startSegment + action.segment;
    const segment = track.segments[index];
    if (!segment) throw new Error(`segment ${index} of ${track.id} is not in the manifest (a bug in flix)`);
    const t0 = this.now();
    let v: Awaited<ReturnType<PlayRun['fetchVideo']>>;
    let au: Awaited<ReturnType<PlayRun['fetchAudio']>>;
    try {
      [v, au] = await Promise.all([this.fetchVideo(track, segment.uri), this.fetchAudio(segment)]);
    } catch (e) {
      // interrupted (Ctrl-C): report what was played so far
      if (!this.deps.signal?.aborted) throw e;
      this.endReason = 'aborted';
      return false;
    }
    this.firstByteAt ??= v.video.firstByteAtMs;
    const realMs = this.now() - t0;
    const bytes = v.bytes + au.bytes;
    const shaped = shapeDownload(
      this.options.profile,
      { bytes, startVirtualSeconds: this.state.timeSeconds, realWallMs: realMs },
      this.speed,
    );
    if (!Number.isFinite(shaped.virtualSeconds)) {
      this.endReason = 'link-down';
      return false;
    }
    await this.sleepWithBeats(shaped.waitMs);
    const before = this.state;
    this.setState(segmentDownloaded(this.state, action, { bytes, seconds: shaped.virtualSeconds }));
    this.videoBytes += v.bytes;
    this.audioBytes += au.bytes;
    this.audioSegments += au.count;
    this.fetchSeconds += shaped.virtualSeconds;
    const record: SegmentRecord = {
      segment: index,
      rendition: track.id,
      reason: action.reason,
      edge: v.video.edge,
      startSeconds: round3(before.timeSeconds),
      seconds: round3(shaped.virtualSeconds),
      realMs: Math.round(realMs),
      videoBytes: v.bytes,
      audioBytes: au.bytes,
      audioSegments: au.count,
      bufferBeforeSeconds: round3(before.bufferSeconds),
      throughputBps: roundOrUndefined(estimateThroughput(this.state.throughput)),
      cacheStatus: v.video.cacheStatus,
    };
    this.records.push(record);
    this.deps.onEvent?.({ kind: 'segment', record, state: this.state });
    this.beats.maybe(this.current());
    return true;
  }

  /** The video segment, with its rendition's init segment first when the rendition changed. */
  private async fetchVideo(track: Track, uri: string): Promise<{ bytes: number; video: FetchResult }> {
    let bytes = 0;
    if (track.init !== null && track.init !== this.lastInit) {
      bytes += (await this.deps.fetcher.get(track.init)).bytes;
      this.lastInit = track.init;
    }
    const video = await this.deps.fetcher.get(uri);
    return { bytes: bytes + video.bytes, video };
  }

  /** The audio segments up to the end of a video segment (the audio init segment once). */
  private async fetchAudio(segment: { startSeconds: number; durationSeconds: number }) {
    let bytes = 0;
    let count = 0;
    const audio = this.p.audio;
    if (!audio) return { bytes, count };
    if (!this.audioInitDone && audio.init !== null) {
      bytes += (await this.deps.fetcher.get(audio.init)).bytes;
      this.audioInitDone = true;
    }
    const end = segment.startSeconds + segment.durationSeconds - 1e-6;
    for (
      let a = audio.segments[this.audioNext];
      a && a.startSeconds < end;
      a = audio.segments[this.audioNext]
    ) {
      bytes += (await this.deps.fetcher.get(a.uri)).bytes;
      count++;
      this.audioNext++;
    }
    return { bytes, count };
  }

  private result(endReason: EndReason): PlayResult {
    const { fetcher } = this.deps;
    const { downloads: _unused, ...rest } = playbackReport(this.state);
    return {
      ...rest,
      wallSeconds: round3(rest.wallSeconds),
      startupSeconds: rest.startupSeconds === undefined ? undefined : round3(rest.startupSeconds),
      rebufferSeconds: round3(rest.rebufferSeconds),
      playedSeconds: round3(rest.playedSeconds),
      averageBitrateBps: Math.round(rest.averageBitrateBps),
      switches: rest.switches.map((s) => ({
        ...s,
        segment: this.startSegment + s.segment,
        atSeconds: round3(s.atSeconds),
        bufferSeconds: round3(s.bufferSeconds),
        throughputBps: s.throughputBps === undefined ? undefined : Math.round(s.throughputBps),
      })),
      renditions: rest.renditions.map((r) => ({ ...r, playedSeconds: round3(r.playedSeconds) })),
      protocol: this.p.protocol,
      endReason,
      titleSeconds: round3(this.p.durationSeconds),
      startPositionSeconds: round3(this.offset),
      startLatencyMs:
        this.firstByteAt === undefined
          ? undefined
          : Math.round(this.firstByteAt - (this.options.requestSentAtMs ?? this.wallStart)),
      realSeconds: round3((this.now() - this.wallStart) / 1000),
      edges: [...fetcher.served].map(([name, s]) => ({ name, ...s })),
      failovers: [...fetcher.failovers],
      edgeSwitches: [...fetcher.edgeSwitches],
      manifestBytes: this.loaded.bytes,
      videoBytes: this.videoBytes,
      audioBytes: this.audioBytes,
      videoSegments: this.records.length,
      audioSegments: this.audioSegments,
      cache: { ...fetcher.cache },
      heartbeats: this.beats.counts,
      meanThroughputBps:
        this.fetchSeconds > 0 ? Math.round(((this.videoBytes + this.audioBytes) * 8) / this.fetchSeconds) : 0,
      segments: this.records,
    };
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const roundOrUndefined = (x: number | undefined) => (x === undefined ? undefined : Math.round(x));
