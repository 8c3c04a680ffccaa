/**
 * Video quality of experience of the virtual viewers, as CTA-2066 (Streaming Quality of
 * Experience Events, Properties and Metrics) and Mux define it, from each viewer's play report:
 *
 * - video start time (VST): play request → first frame. A headless client renders nothing, so the
 *   first frame is the first byte of the first video segment (`startLatencyMs` of a play).
 * - video start failure (VSF): the attempt ended by an error before the first frame.
 * - exit before video start (EBVS): the viewer left (gave up, or the run ended) before it, with no
 *   error. VSF and EBVS are shares of all attempts.
 * - video playback failure: an error after the video started (every edge failed mid-play).
 * - rebuffering ratio: stall time ÷ watch time, watch time being playing + stalled after the
 *   start (CTA-2066; start-up is VST's business — Mux's "rebuffer percentage" also counts it).
 *   Over a run: Σ stall ÷ Σ watch (each second weighs the same); `avg(rebuffer_ratio)` in a
 *   threshold is the mean of the viewers' own ratios (each viewer weighs the same).
 * - rebuffer count and frequency (per minute of watch time), average bitrate played (weighted by
 *   the seconds played), rendition switches (up and down).
 * - edge cache hit ratio over every object the edges served, and the misses on video segments
 *   split by cause: not yet cached on the edge meant for the viewer, or served by another edge
 *   because one was unhealthy (a failover mid-play, or steering skipping an unhealthy edge).
 *
 * Per viewer it is a pure function (viewerQoe); over a run the figures go into metrics (recordQoe)
 * so they merge across generators like everything else, and qoeSummary reads them back.
 */
import { MetricsRegistry, type Tags, type TrendSummary } from './metrics.js';

/** What QoE needs of a play: a subset of the player's PlaySessionResult, which fits it as is. */
export interface QoePlayReport {
  /** Why playback stopped: 'end-of-title' | 'duration' | 'link-down' | 'aborted'. */
  endReason: string;
  /** Wall ms from the play request to the first byte of the first video segment; none if it never came. */
  startLatencyMs: number | undefined;
  playedSeconds: number;
  rebufferSeconds: number;
  rebufferCount: number;
  /** Played-time-weighted, bits/s. */
  averageBitrateBps: number;
  switches: ReadonlyArray<{ from: string; to: string }>;
  renditions: ReadonlyArray<{ id: string; bitrateBps: number }>;
  /** Every object the edges answered, and how many were cache hits. */
  cache: { hits: number; answers: number };
  /** The video segments fetched: which edge, and its `X-Cache-Status`. */
  segments: ReadonlyArray<{ edge: string; cacheStatus: string | null }>;
  failovers: ReadonlyArray<unknown>;
  /** The edges the play answer ranked (steering's reasons say which were unhealthy). */
  rankedEdges?: ReadonlyArray<{ name: string; rank: number; reason: string }>;
}

/** How one viewer's attempt to play ended, as the runner saw it. */
export type ViewerAttempt =
  | { outcome: 'played'; report: QoePlayReport }
  /** The play threw (API refused, every edge failed). `startedVideo`: a video byte had arrived. */
  | { outcome: 'failed'; error: string; startedVideo?: boolean; startLatencyMs?: number }
  /** The viewer gave up waiting, or the run ended, before the video started. */
  | { outcome: 'exited'; afterMs?: number };

export type ViewerStatus = 'started' | 'startFailure' | 'exitBeforeStart' | 'playbackFailure';

/** One viewer's QoE. */
export interface ViewerQoe {
  status: ViewerStatus;
  /** Only when the video started. */
  videoStartTimeMs?: number;
  playedSeconds: number;
  rebufferSeconds: number;
  /** played + stalled */
  watchSeconds: number;
  rebufferCount: number;
  /** undefined before any watch time */
  rebufferRatio?: number;
  averageBitrateBps?: number;
  switches: { total: number; up: number; down: number };
  cache: { hits: number; answers: number };
  segmentCache: { hits: number; notCached: number; edgeUnhealthy: number; unknown: number };
  failovers: number;
  error?: string;
}

/** The metrics QoE records, by name (thresholds use these names: `p99(start_ms)<2000`). */
export const qoeMetrics = {
  /** trend, ms: video start time of each started viewer */
  startMs: 'start_ms',
  /** rate: attempts that failed (before or after the start) */
  failedPlays: 'failed_plays',
  /** rate: video start failures among attempts */
  videoStartFailures: 'video_start_failures',
  /** rate: exits before video start among attempts */
  exitsBeforeStart: 'exits_before_start',
  /** rate: errors after the start among attempts */
  playbackFailures: 'playback_failures',
  /** trend, ratio: each started viewer's rebuffering ratio */
  rebufferRatio: 'rebuffer_ratio',
  /** counter: stalls */
  rebuffers: 'rebuffers',
  /** counters, s: stalled, played */
  rebufferSeconds: 'rebuffer_seconds',
  playedSeconds: 'played_seconds',
  /** counter, bits: Σ average bitrate × seconds played (÷ played_seconds = the run's average bitrate) */
  playedBits: 'played_bits',
  /** trend, bps: each started viewer's average bitrate */
  bitrateBps: 'bitrate_bps',
  /** counter, tagged direction:up|down */
  renditionSwitches: 'rendition_switches',
  /** rate: cache hits among every object the edges served */
  edgeCacheHits: 'edge_cache_hits',
  /** counter, tagged cause:not_cached|edge_unhealthy|unknown — video segments not from cache */
  segmentMisses: 'segment_misses',
  /** rate: video segments from cache */
  segmentCacheHits: 'segment_cache_hits',
  /** counter: objects an edge failed and the next one served */
  failovers: 'failovers',
} as const;

const isHit = (status: string | null) => status?.toUpperCase() === 'HIT';

/**
 * The edge meant for the viewer: steering's first, unless it ranked an unhealthy edge of the
 * viewer's zone below it — then the first is already a stand-in, and its misses are the unhealthy
 * edge's doing. Steering's reasons read "healthy; same zone (a); holds t1; 3 connections".
 */
function intendedEdge(report: QoePlayReport): { name: string | undefined; standIn: boolean } {
  const ranked = [...(report.rankedEdges ?? [])].sort((a, b) => a.rank - b.rank);
  const first = ranked[0];
  if (!first) return { name: report.segments[0]?.edge, standIn: false };
  const unhealthyLocal = ranked.some((e) => /^unhealthy\b/.test(e.reason) && /\bsame zone\b/.test(e.reason));
  const firstRemote = /\bother zone\b/.test(first.reason);
  return { name: first.name, standIn: unhealthyLocal && firstRemote };
}

/** Up and down switches, by the renditions' bitrates (an unknown rendition counts as neither). */
function switchesOf(report: QoePlayReport): ViewerQoe['switches'] {
  const rate = new Map(report.renditions.map((r) => [r.id, r.bitrateBps]));
  let up = 0;
  let down = 0;
  for (const s of report.switches) {
    const from = rate.get(s.from);
    const to = rate.get(s.to);
    if (from === undefined || to === undefined) continue;
    if (to > from) up++;
    else if (to < from) down++;
  }
  return { total: report.switches.length, up, down };
}

function segmentCacheOf(report: QoePlayReport): ViewerQoe['segmentCache'] {
  const out = { hits: 0, notCached: 0, edgeUnhealthy: 0, unknown: 0 };
  const intended = intendedEdge(report);
  for (const s of report.segments) {
    if (isHit(s.cacheStatus)) out.hits++;
    else if (s.cacheStatus === null) out.unknown++;
    else if (intended.standIn || (intended.name !== undefined && s.edge !== intended.name))
      out.edgeUnhealthy++;
    else out.notCached++;
  }
  return out;
}

const none = (): Omit<ViewerQoe, 'status'> => ({
  playedSeconds: 0,
  rebufferSeconds: 0,
  watchSeconds: 0,
  rebufferCount: 0,
  switches: { total: 0, up: 0, down: 0 },
  cache: { hits: 0, answers: 0 },
  segmentCache: { hits: 0, notCached: 0, edgeUnhealthy: 0, unknown: 0 },
  failovers: 0,
});

/** One viewer's QoE from how its attempt ended. */
export function viewerQoe(attempt: ViewerAttempt): ViewerQoe {
  if (attempt.outcome === 'exited') return { status: 'exitBeforeStart', ...none() };
  if (attempt.outcome === 'failed') {
    const started = attempt.startedVideo === true;
    return {
      status: started ? 'playbackFailure' : 'startFailure',
      ...none(),
      ...(started && attempt.startLatencyMs !== undefined
        ? { videoStartTimeMs: attempt.startLatencyMs }
        : {}),
      error: attempt.error,
    };
  }
  const r = attempt.report;
  const base = {
    ...none(),
    cache: { hits: r.cache.hits, answers: r.cache.answers },
    segmentCache: segmentCacheOf(r),
    failovers: r.failovers.length,
  };
  if (r.startLatencyMs === undefined) {
    // no video ever arrived: the viewer left (aborted) or the link or the edges gave out
    return {
      status: r.endReason === 'aborted' ? 'exitBeforeStart' : 'startFailure',
      ...base,
      ...(r.endReason === 'aborted' ? {} : { error: `no video before the play ended (${r.endReason})` }),
    };
  }
  const watchSeconds = r.playedSeconds + r.rebufferSeconds;
  return {
    status: 'started',
    ...base,
    videoStartTimeMs: r.startLatencyMs,
    playedSeconds: r.playedSeconds,
    rebufferSeconds: r.rebufferSeconds,
    watchSeconds,
    rebufferCount: r.rebufferCount,
    ...(watchSeconds > 0 ? { rebufferRatio: r.rebufferSeconds / watchSeconds } : {}),
    ...(r.playedSeconds > 0 ? { averageBitrateBps: r.averageBitrateBps } : {}),
    switches: switchesOf(r),
  };
}

/** Declares every QoE metric (so thresholds on them can be checked before the first play). */
export function declareQoeMetrics(registry: MetricsRegistry): void {
  const m = qoeMetrics;
  registry.trend(m.startMs, { unit: 'ms' });
  registry.rate(m.failedPlays);
  registry.rate(m.videoStartFailures);
  registry.rate(m.exitsBeforeStart);
  registry.rate(m.playbackFailures);
  registry.trend(m.rebufferRatio, { unit: 'ratio' });
  registry.counter(m.rebuffers);
  registry.counter(m.rebufferSeconds, { unit: 's' });
  registry.counter(m.playedSeconds, { unit: 's' });
  registry.counter(m.playedBits, { unit: 'bits' });
  registry.trend(m.bitrateBps, { unit: 'bps', decimals: 0 });
  registry.counter(m.renditionSwitches);
  registry.rate(m.edgeCacheHits);
  registry.counter(m.segmentMisses);
  registry.rate(m.segmentCacheHits);
  registry.counter(m.failovers);
}

/** Records one viewer's QoE in the registry (with `tags`, e.g. `{ zone: 'a' }`, on every sample). */
export function recordQoe(registry: MetricsRegistry, q: ViewerQoe, tags?: Tags): void {
  const m = qoeMetrics;
  declareQoeMetrics(registry);
  const withTags = (extra: Tags): Tags => ({ ...tags, ...extra });
  registry.rate(m.failedPlays).add(q.status === 'startFailure' || q.status === 'playbackFailure', tags);
  registry.rate(m.videoStartFailures).add(q.status === 'startFailure', tags);
  registry.rate(m.exitsBeforeStart).add(q.status === 'exitBeforeStart', tags);
  registry.rate(m.playbackFailures).add(q.status === 'playbackFailure', tags);
  if (q.videoStartTimeMs !== undefined) registry.trend(m.startMs).add(q.videoStartTimeMs, tags);
  if (q.rebufferRatio !== undefined) registry.trend(m.rebufferRatio).add(q.rebufferRatio, tags);
  if (q.averageBitrateBps !== undefined) registry.trend(m.bitrateBps).add(q.averageBitrateBps, tags);
  registry.counter(m.rebuffers).add(q.rebufferCount, tags);
  registry.counter(m.rebufferSeconds).add(q.rebufferSeconds, tags);
  registry.counter(m.playedSeconds).add(q.playedSeconds, tags);
  registry.counter(m.playedBits).add((q.averageBitrateBps ?? 0) * q.playedSeconds, tags);
  const switches = registry.counter(m.renditionSwitches);
  if (q.switches.up) switches.add(q.switches.up, withTags({ direction: 'up' }));
  if (q.switches.down) switches.add(q.switches.down, withTags({ direction: 'down' }));
  const sideways = q.switches.total - q.switches.up - q.switches.down;
  if (sideways) switches.add(sideways, withTags({ direction: 'same' }));
  registry.rate(m.edgeCacheHits).addCounts(q.cache.hits, q.cache.answers - q.cache.hits, tags);
  const sc = q.segmentCache;
  registry.rate(m.segmentCacheHits).addCounts(sc.hits, sc.notCached + sc.edgeUnhealthy + sc.unknown, tags);
  const misses = registry.counter(m.segmentMisses);
  if (sc.notCached) misses.add(sc.notCached, withTags({ cause: 'not_cached' }));
  if (sc.edgeUnhealthy) misses.add(sc.edgeUnhealthy, withTags({ cause: 'edge_unhealthy' }));
  if (sc.unknown) misses.add(sc.unknown, withTags({ cause: 'unknown' }));
  registry.counter(m.failovers).add(q.failovers, tags);
}

/** The run's QoE, for the report. Rates and ratios are null when there was nothing to divide. */
export interface QoeSummary {
  attempts: number;
  started: number;
  videoStartFailures: number;
  exitsBeforeVideoStart: number;
  playbackFailures: number;
  /** shares of the attempts */
  videoStartFailureRate: number | null;
  exitBeforeVideoStartRate: number | null;
  failedPlayRate: number | null;
  videoStartTimeMs: TrendSummary;
  /** Σ stall ÷ Σ watch */
  rebufferRatio: number | null;
  /** the viewers' own ratios */
  rebufferRatioPerViewer: TrendSummary;
  rebufferCount: number;
  rebuffersPerMinute: number | null;
  /** Σ bitrate × played ÷ Σ played */
  averageBitrateBps: number | null;
  renditionSwitches: { total: number; up: number; down: number; perStartedViewer: number | null };
  edgeCacheHitRatio: number | null;
  segments: {
    fromCache: number;
    notCached: number;
    edgeUnhealthy: number;
    unknown: number;
    hitRatio: number | null;
  };
  failovers: number;
}

/** The QoE of everything recorded in `registry` (the samples with `tags` if given). */
export function qoeSummary(registry: MetricsRegistry, tags?: Tags): QoeSummary {
  const m = qoeMetrics;
  declareQoeMetrics(registry);
  const count = (name: string, t?: Tags) => registry.aggregate(name, { fn: 'count' }, { ...tags, ...t }) ?? 0;
  const rate = (name: string) => registry.aggregate(name, { fn: 'rate' }, tags) ?? null;
  const total = (name: string) => {
    const r = registry.get(name);
    const s = r?.kind === 'rate' ? r.read(tags).values() : undefined;
    return s?.kind === 'rate' ? s.values.total : 0;
  };
  const div = (a: number, b: number) => (b > 0 ? a / b : null);
  const attempts = total(m.failedPlays);
  const vsf = count(m.videoStartFailures);
  const ebvs = count(m.exitsBeforeStart);
  const vpf = count(m.playbackFailures);
  const stalled = count(m.rebufferSeconds);
  const played = count(m.playedSeconds);
  const watch = stalled + played;
  const rebuffers = count(m.rebuffers);
  const up = count(m.renditionSwitches, { direction: 'up' });
  const down = count(m.renditionSwitches, { direction: 'down' });
  const switches = count(m.renditionSwitches);
  const started = attempts - vsf - ebvs;
  const fromCache = count(m.segmentCacheHits);
  const segmentsTotal = total(m.segmentCacheHits);
  return {
    attempts,
    started,
    videoStartFailures: vsf,
    exitsBeforeVideoStart: ebvs,
    playbackFailures: vpf,
    videoStartFailureRate: rate(m.videoStartFailures),
    exitBeforeVideoStartRate: rate(m.exitsBeforeStart),
    failedPlayRate: rate(m.failedPlays),
    videoStartTimeMs: registry.trendSummary(m.startMs, tags) as TrendSummary,
    rebufferRatio: div(stalled, watch),
    rebufferRatioPerViewer: registry.trendSummary(m.rebufferRatio, tags) as TrendSummary,
    rebufferCount: rebuffers,
    rebuffersPerMinute: div(rebuffers, watch / 60),
    averageBitrateBps: div(count(m.playedBits), played),
    renditionSwitches: { total: switches, up, down, perStartedViewer: div(switches, started) },
    edgeCacheHitRatio: rate(m.edgeCacheHits),
    segments: {
      fromCache,
      notCached: count(m.segmentMisses, { cause: 'not_cached' }),
      edgeUnhealthy: count(m.segmentMisses, { cause: 'edge_unhealthy' }),
      unknown: count(m.segmentMisses, { cause: 'unknown' }),
      hitRatio: div(fromCache, segmentsTotal),
    },
    failovers: count(m.failovers),
  };
}

/** The QoE of a set of attempts, in one go (a fresh registry: recordQoe each, then qoeSummary). */
export function aggregateQoe(attempts: readonly ViewerAttempt[]): QoeSummary {
  const registry = new MetricsRegistry();
  for (const a of attempts) recordQoe(registry, viewerQoe(a));
  return qoeSummary(registry);
}
