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
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? realSleep;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, not ${speed}`);
  const wallStart = now();
  const { fetcher, signal } = deps;

  const loaded = await loadPresentation(fetcher, options.protocol);
  const p = loaded.presentation;
  const first = p.video[0] as Track;
  const startSegment = segmentIndexAt(first.segments, options.startPosition ?? 0);
  const offset = first.segments[startSegment]?.startSeconds ?? 0;
  const left = first.segments.slice(startSegment).reduce((n, s) => n + s.durationSeconds, 0);
  const playSeconds = Math.min(left, options.playSeconds ?? left);
  deps.onEvent?.({ kind: 'manifest', presentation: p, startSegment, startSeconds: offset });
  let state = startPlayback(renditionsOf(p, startSegment), { ...options.player, playSeconds });

  const manifestBytes = loaded.bytes;
  let videoBytes = 0;
  let audioBytes = 0;
  let audioSegments = 0;
  let audioNext = p.audio ? segmentIndexAt(p.audio.segments, offset) : 0;
  let audioInitDone = false;
  let lastInit: string | null = null;
  let firstByteAt: number | undefined;
  let fetchSeconds = 0;
  let endReason: EndReason | undefined;
  const records: SegmentRecord[] = [];
  const heartbeats = { sent: 0, failed: 0, errors: [] as string[] };
  const pending: Promise<void>[] = [];
  const every = options.heartbeatEverySeconds ?? 10;
  let nextHeartbeat = every;

  // the state as of now: while a fetch or a wait is under way, playback goes on from the last state
  let stateAtMs = now();
  const setState = (next: PlayerState) => {
    state = next;
    stateAtMs = now();
  };
  const current = () => elapse(state, Math.max(0, ((now() - stateAtMs) / 1000) * speed));
  const beat = (view: PlayerState): Promise<void> => {
    if (!deps.heartbeat) return Promise.resolve();
    const hb: Heartbeat = {
      position: round3(offset + view.positionSeconds),
      rendition: view.rendition === undefined ? undefined : p.video[view.rendition]?.id,
      edge: fetcher.edge.name,
      bufferSeconds: round3(view.bufferSeconds),
    };
    heartbeats.sent++;
    return deps.heartbeat(hb).then(
      () => deps.onEvent?.({ kind: 'heartbeat', heartbeat: hb, ok: true }),
      (e: unknown) => {
        heartbeats.failed++;
        const error = e instanceof Error ? e.message : String(e);
        if (heartbeats.errors.length < 5) heartbeats.errors.push(error);
        deps.onEvent?.({ kind: 'heartbeat', heartbeat: hb, ok: false, error });
      },
    );
  };
  /** A heartbeat when the position crossed the next mark (one, however many marks were crossed). */
  const maybeBeat = () => {
    const view = current();
    if (view.phase === 'ended' || view.positionSeconds < nextHeartbeat - 1e-9) return;
    pending.push(beat(view));
    while (nextHeartbeat <= view.positionSeconds + 1e-9) nextHeartbeat += every;
  };
  /** Sleeps `ms` of wall time, waking at the heartbeat marks playback crosses meanwhile. */
  const sleepWithBeats = async (ms: number) => {
    const until = now() + ms;
    for (let left = ms; left > 0 && !signal?.aborted; left = until - now()) {
      const view = current();
      const toMark = ((nextHeartbeat - view.positionSeconds) / speed) * 1000;
      const piece = view.phase === 'playing' && deps.heartbeat ? Math.min(left, Math.max(1, toMark)) : left;
      await sleep(piece, signal);
      maybeBeat();
    }
  };
  const ticker = deps.heartbeat
    ? setInterval(maybeBeat, Math.max(50, Math.min(1000, (every * 1000) / speed / 10)))
    : undefined;
  const get = async (uri: string): Promise<FetchResult> => fetcher.get(uri);

  const maxSteps = 4 * first.segments.length + 1000;
  try {
    for (let step = 0; step < maxSteps; step++) {
      if (signal?.aborted) {
        endReason = 'aborted';
        break;
      }
      const action = nextAction(state);
      if (action.kind === 'done') break;
      if (action.kind === 'wait') {
        // wait in pieces no longer than to the next heartbeat, so heartbeats keep their rhythm
        const toBeat = state.phase === 'playing' ? nextHeartbeat - state.positionSeconds : action.seconds;
        const piece = Math.max(1e-3, Math.min(action.seconds, toBeat));
        const t = now();
        await sleep((piece / speed) * 1000, signal);
        const slept = ((now() - t) / 1000) * speed;
        // a sleep cut short by Ctrl-C counts only the time that passed
        setState(elapse(state, signal?.aborted ? slept : Math.max(piece, slept)));
        maybeBeat();
        continue;
      }
      const track = p.video[action.rendition] as Track;
      const index = startSegment + action.segment;
      const segment = track.segments[index];
      if (!segment) throw new Error(`segment ${index} of ${track.id} is not in the manifest (a bug in flix)`);
      const t0 = now();
      // video (with its init segment when the rendition changes) and audio side by side, as players do
      const fetchVideo = async () => {
        let bytes = 0;
        if (track.init !== null && track.init !== lastInit) {
          bytes += (await get(track.init)).bytes;
          lastInit = track.init;
        }
        const video = await get(segment.uri);
        return { bytes: bytes + video.bytes, video };
      };
      const fetchAudio = async () => {
        let bytes = 0;
        let count = 0;
        if (!p.audio) return { bytes, count };
        if (!audioInitDone && p.audio.init !== null) {
          bytes += (await get(p.audio.init)).bytes;
          audioInitDone = true;
        }
        const end = segment.startSeconds + segment.durationSeconds - 1e-6;
        for (
          let a = p.audio.segments[audioNext];
          a && a.startSeconds < end;
          a = p.audio.segments[audioNext]
        ) {
          bytes += (await get(a.uri)).bytes;
          count++;
          audioNext++;
        }
        return { bytes, count };
      };
      let v: Awaited<ReturnType<typeof fetchVideo>>;
      let au: Awaited<ReturnType<typeof fetchAudio>>;
      try {
        [v, au] = await Promise.all([fetchVideo(), fetchAudio()]);
      } catch (e) {
        // interrupted (Ctrl-C): report what was played so far
        if (!signal?.aborted) throw e;
        endReason = 'aborted';
        break;
      }
      const video = v.video;
      const bytesV = v.bytes;
      const bytesA = au.bytes;
      const audioCount = au.count;
      firstByteAt ??= video.firstByteAtMs;
      const realMs = now() - t0;
      const shaped = shapeDownload(
        options.profile,
        { bytes: bytesV + bytesA, startVirtualSeconds: state.timeSeconds, realWallMs: realMs },
        speed,
      );
      if (!Number.isFinite(shaped.virtualSeconds)) {
        endReason = 'link-down';
        break;
      }
      await sleepWithBeats(shaped.waitMs);
      const before = state;
      setState(segmentDownloaded(state, action, { bytes: bytesV + bytesA, seconds: shaped.virtualSeconds }));
      videoBytes += bytesV;
      audioBytes += bytesA;
      audioSegments += audioCount;
      fetchSeconds += shaped.virtualSeconds;
      const record: SegmentRecord = {
        segment: index,
        rendition: track.id,
        reason: action.reason,
        edge: video.edge,
        startSeconds: round3(before.timeSeconds),
        seconds: round3(shaped.virtualSeconds),
        realMs: Math.round(realMs),
        videoBytes: bytesV,
        audioBytes: bytesA,
        audioSegments: audioCount,
        bufferBeforeSeconds: round3(before.bufferSeconds),
        throughputBps: roundOrUndefined(estimateThroughput(state.throughput)),
        cacheStatus: video.cacheStatus,
      };
      records.push(record);
      deps.onEvent?.({ kind: 'segment', record, state });
      maybeBeat();
    }
  } finally {
    clearInterval(ticker);
  }
  if (state.phase === 'ended') endReason ??= playSeconds < left - 1e-6 ? 'duration' : 'end-of-title';
  endReason ??= 'aborted';
  pending.push(beat(state));
  await Promise.all(pending);

  const report = playbackReport(state);
  const { downloads: _unused, ...rest } = report;
  return {
    ...rest,
    wallSeconds: round3(rest.wallSeconds),
    startupSeconds: rest.startupSeconds === undefined ? undefined : round3(rest.startupSeconds),
    rebufferSeconds: round3(rest.rebufferSeconds),
    playedSeconds: round3(rest.playedSeconds),
    averageBitrateBps: Math.round(rest.averageBitrateBps),
    switches: rest.switches.map((s) => ({
      ...s,
      segment: startSegment + s.segment,
      atSeconds: round3(s.atSeconds),
      bufferSeconds: round3(s.bufferSeconds),
      throughputBps: s.throughputBps === undefined ? undefined : Math.round(s.throughputBps),
    })),
    renditions: rest.renditions.map((r) => ({ ...r, playedSeconds: round3(r.playedSeconds) })),
    protocol: p.protocol,
    endReason,
    titleSeconds: round3(p.durationSeconds),
    startPositionSeconds: round3(offset),
    startLatencyMs:
      firstByteAt === undefined
        ? undefined
        : Math.round(firstByteAt - (options.requestSentAtMs ?? wallStart)),
    realSeconds: round3((now() - wallStart) / 1000),
    edges: [...fetcher.served].map(([name, s]) => ({ name, ...s })),
    failovers: [...fetcher.failovers],
    edgeSwitches: [...fetcher.edgeSwitches],
    manifestBytes,
    videoBytes,
    audioBytes,
    videoSegments: records.length,
    audioSegments,
    cache: { ...fetcher.cache },
    heartbeats,
    meanThroughputBps: fetchSeconds > 0 ? Math.round(((videoBytes + audioBytes) * 8) / fetchSeconds) : 0,
    segments: records,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const roundOrUndefined = (x: number | undefined) => (x === undefined ? undefined : Math.round(x));
