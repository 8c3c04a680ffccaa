import { describe, expect, expectTypeOf, it } from 'vitest';
import type { PlayResult } from '../player/client/player.js';
import type { PlaySessionResult } from '../player/client/session.js';
import { MetricsRegistry } from './metrics.js';
import {
  aggregateQoe,
  declareQoeMetrics,
  type QoePlayReport,
  qoeMetrics,
  qoeSummary,
  recordQoe,
  type ViewerAttempt,
  viewerQoe,
} from './qoe.js';

const renditions = [
  { id: '240p', bitrateBps: 400_000 },
  { id: '480p', bitrateBps: 1_200_000 },
  { id: '720p', bitrateBps: 3_000_000 },
];

const ranked = [
  { name: 'edge-a', rank: 1, reason: 'healthy; same zone (a); holds t1; 2 connections' },
  { name: 'edge-b', rank: 2, reason: 'healthy; other zone (b); holds t1; 0 connections' },
];

function report(over: Partial<QoePlayReport> = {}): QoePlayReport {
  return {
    endReason: 'duration',
    startLatencyMs: 420,
    playedSeconds: 60,
    rebufferSeconds: 0,
    rebufferCount: 0,
    averageBitrateBps: 2_000_000,
    switches: [],
    renditions,
    cache: { hits: 10, answers: 20 },
    segments: [],
    failovers: [],
    rankedEdges: ranked,
    ...over,
  };
}

const played = (over: Partial<QoePlayReport> = {}): ViewerAttempt => ({
  outcome: 'played',
  report: report(over),
});

describe('the play report QoE reads', () => {
  it("is what the player's PlaySessionResult gives, as is", () => {
    expectTypeOf<PlaySessionResult>().toExtend<QoePlayReport>();
    // a bare PlayResult (no play answer) too: rankedEdges is optional
    expectTypeOf<PlayResult>().toExtend<QoePlayReport>();
  });
});

describe('viewerQoe', () => {
  it('reads a started play', () => {
    const q = viewerQoe(
      played({
        playedSeconds: 90,
        rebufferSeconds: 10,
        rebufferCount: 2,
        switches: [
          { from: '240p', to: '720p' },
          { from: '720p', to: '480p' },
          { from: '480p', to: '720p' },
        ],
        failovers: [{}, {}],
      }),
    );
    expect(q).toMatchObject({
      status: 'started',
      videoStartTimeMs: 420,
      playedSeconds: 90,
      rebufferSeconds: 10,
      watchSeconds: 100,
      rebufferRatio: 0.1,
      rebufferCount: 2,
      averageBitrateBps: 2_000_000,
      switches: { total: 3, up: 2, down: 1 },
      cache: { hits: 10, answers: 20 },
      failovers: 2,
    });
    expect(q.error).toBeUndefined();
  });

  it('has no ratio nor bitrate without watch time', () => {
    const q = viewerQoe(played({ playedSeconds: 0, rebufferSeconds: 0 }));
    expect(q.status).toBe('started');
    expect(q.rebufferRatio).toBeUndefined();
    expect(q.averageBitrateBps).toBeUndefined();
    // a start that only stalled: ratio 1
    expect(viewerQoe(played({ playedSeconds: 0, rebufferSeconds: 4 })).rebufferRatio).toBe(1);
  });

  it('tells start failures, exits before start and playback failures apart', () => {
    expect(viewerQoe({ outcome: 'failed', error: 'HTTP 503' })).toMatchObject({
      status: 'startFailure',
      error: 'HTTP 503',
    });
    expect(
      viewerQoe({ outcome: 'failed', error: 'every edge failed', startedVideo: true, startLatencyMs: 300 }),
    ).toMatchObject({
      status: 'playbackFailure',
      videoStartTimeMs: 300,
    });
    expect(viewerQoe({ outcome: 'exited', afterMs: 8000 })).toMatchObject({ status: 'exitBeforeStart' });
    // a play that ended without a video byte: aborted is an exit, the link going down a failure
    expect(viewerQoe(played({ startLatencyMs: undefined, endReason: 'aborted' })).status).toBe(
      'exitBeforeStart',
    );
    const down = viewerQoe(played({ startLatencyMs: undefined, endReason: 'link-down' }));
    expect(down.status).toBe('startFailure');
    expect(down.error).toMatch(/link-down/);
    expect(down.videoStartTimeMs).toBeUndefined();
  });

  it('counts a switch between renditions it does not know as neither up nor down', () => {
    const q = viewerQoe(played({ switches: [{ from: '?', to: '720p' }] }));
    expect(q.switches).toEqual({ total: 1, up: 0, down: 0 });
  });
});

describe('segment cache misses by cause', () => {
  const seg = (edge: string, cacheStatus: string | null) => ({ edge, cacheStatus });

  it('are not-yet-cached on the intended edge, edge-unhealthy on another one', () => {
    const q = viewerQoe(
      played({
        segments: [
          seg('edge-a', 'MISS'),
          seg('edge-a', 'HIT'),
          seg('edge-a', 'hit'),
          seg('edge-b', 'MISS'),
          seg('edge-b', 'HIT'),
          seg('edge-b', 'EXPIRED'),
          seg('edge-a', null),
        ],
      }),
    );
    expect(q.segmentCache).toEqual({ hits: 3, notCached: 1, edgeUnhealthy: 2, unknown: 1 });
  });

  it('blame an unhealthy edge when steering had to skip the viewer’s own-zone edge', () => {
    const skipped = [
      { name: 'edge-b', rank: 1, reason: 'healthy; other zone (b); holds t1; 0 connections' },
      { name: 'edge-a', rank: 2, reason: 'unhealthy; same zone (a); holds t1; 0 connections' },
    ];
    const q = viewerQoe(
      played({ rankedEdges: skipped, segments: [seg('edge-b', 'MISS'), seg('edge-b', 'HIT')] }),
    );
    expect(q.segmentCache).toEqual({ hits: 1, notCached: 0, edgeUnhealthy: 1, unknown: 0 });
    // the first being in another zone for other reasons (every edge remote) is not that
    const remote = [
      { name: 'edge-b', rank: 1, reason: 'healthy; other zone (b); holds t1; 0 connections' },
      { name: 'edge-c', rank: 2, reason: 'unhealthy; other zone (c); holds t1; 0 connections' },
    ];
    expect(
      viewerQoe(played({ rankedEdges: remote, segments: [seg('edge-b', 'MISS')] })).segmentCache.notCached,
    ).toBe(1);
  });

  it('take the first edge used as the intended one without a ranking', () => {
    const q = viewerQoe(
      played({ rankedEdges: undefined, segments: [seg('edge-a', 'MISS'), seg('edge-b', 'MISS')] }),
    );
    expect(q.segmentCache).toMatchObject({ notCached: 1, edgeUnhealthy: 1 });
  });
});

describe('over a run', () => {
  const attempts: ViewerAttempt[] = [
    played({ startLatencyMs: 100, playedSeconds: 60, rebufferSeconds: 0, averageBitrateBps: 3_000_000 }),
    played({
      startLatencyMs: 300,
      playedSeconds: 30,
      rebufferSeconds: 10,
      rebufferCount: 3,
      averageBitrateBps: 1_000_000,
      switches: [
        { from: '720p', to: '240p' },
        { from: '240p', to: '480p' },
      ],
      cache: { hits: 0, answers: 20 },
      segments: [
        { edge: 'edge-a', cacheStatus: 'MISS' },
        { edge: 'edge-b', cacheStatus: 'MISS' },
      ],
      failovers: [{}],
    }),
    { outcome: 'failed', error: 'HTTP 503' },
    { outcome: 'exited' },
    { outcome: 'failed', error: 'every edge failed', startedVideo: true, startLatencyMs: 200 },
  ];

  it('aggregates CTA-2066 figures', () => {
    const s = aggregateQoe(attempts);
    expect(s).toMatchObject({
      attempts: 5,
      started: 3,
      videoStartFailures: 1,
      exitsBeforeVideoStart: 1,
      playbackFailures: 1,
      videoStartFailureRate: 0.2,
      exitBeforeVideoStartRate: 0.2,
      failedPlayRate: 0.4,
      rebufferCount: 3,
      failovers: 1,
      renditionSwitches: { total: 2, up: 1, down: 1, perStartedViewer: 2 / 3 },
      edgeCacheHitRatio: 10 / 40,
      segments: { fromCache: 0, notCached: 1, edgeUnhealthy: 1, unknown: 0, hitRatio: 0 },
    });
    expect(s.videoStartTimeMs).toMatchObject({ count: 3, min: 100, max: 300 });
    expect(s.videoStartTimeMs.mean).toBeCloseTo(200, 9);
    // Σ stall ÷ Σ watch = 10 / 100, while the viewers' own ratios average (0 + 0.25) / 2
    expect(s.rebufferRatio).toBeCloseTo(0.1, 12);
    expect(s.rebufferRatioPerViewer.mean).toBeCloseTo(0.125, 12);
    expect(s.rebuffersPerMinute).toBeCloseTo(3 / (100 / 60), 12);
    // weighted by seconds played: (3 Mbps × 60 + 1 Mbps × 30) / 90
    expect(s.averageBitrateBps).toBeCloseTo(210_000_000 / 90, 6);
  });

  it('is null, not 0 or NaN, where there is nothing to divide', () => {
    const s = aggregateQoe([]);
    expect(s).toMatchObject({
      attempts: 0,
      started: 0,
      videoStartFailureRate: null,
      failedPlayRate: null,
      rebufferRatio: null,
      rebuffersPerMinute: null,
      averageBitrateBps: null,
      edgeCacheHitRatio: null,
      renditionSwitches: { perStartedViewer: null },
      segments: { hitRatio: null },
    });
    expect(s.videoStartTimeMs.count).toBe(0);
    expect(JSON.stringify(s)).not.toMatch(/NaN|Infinity/);
  });

  it('records under the metric names thresholds use, and merges across generators', () => {
    const one = new MetricsRegistry();
    const a = new MetricsRegistry();
    const b = new MetricsRegistry();
    attempts.forEach((at, i) => {
      recordQoe(one, viewerQoe(at));
      recordQoe(i % 2 ? a : b, viewerQoe(at));
    });
    expect(qoeSummary(new MetricsRegistry().merge(a).merge(b))).toEqual(qoeSummary(one));
    expect(one.kindOf(qoeMetrics.startMs)).toBe('trend');
    expect(one.kindOf(qoeMetrics.failedPlays)).toBe('rate');
    expect(one.aggregate('failed_plays', { fn: 'rate' })).toBeCloseTo(0.4, 12);
    expect(one.aggregate('segment_misses', { fn: 'count' }, { cause: 'edge_unhealthy' })).toBe(1);
    expect(one.aggregate('rendition_switches', { fn: 'count' }, { direction: 'down' })).toBe(1);
  });

  it('reads one part of a run by tags', () => {
    const r = new MetricsRegistry();
    recordQoe(r, viewerQoe(attempts[0] as ViewerAttempt), { zone: 'a' });
    recordQoe(r, viewerQoe(attempts[2] as ViewerAttempt), { zone: 'b' });
    expect(qoeSummary(r, { zone: 'a' })).toMatchObject({ attempts: 1, started: 1, failedPlayRate: 0 });
    expect(qoeSummary(r, { zone: 'b' })).toMatchObject({ attempts: 1, started: 0, failedPlayRate: 1 });
    expect(qoeSummary(r)).toMatchObject({ attempts: 2 });
  });

  it('declares every metric up front, so thresholds can be checked before any play', () => {
    const r = new MetricsRegistry();
    declareQoeMetrics(r);
    expect(r.names()).toEqual([...new Set(Object.values(qoeMetrics))].sort());
  });
});
