import { describe, expect, it } from 'vitest';
import type { PlaySessionResult } from './client/session.js';
import { formatBytes, progressLine, summaryLines } from './view.js';

describe('formatBytes', () => {
  it('uses decimal units', () => {
    expect([999, 274_500, 4_330_000, 2e9].map(formatBytes)).toEqual([
      '999 B',
      '274.5 kB',
      '4.33 MB',
      '2.00 GB',
    ]);
  });
});

describe('progressLine', () => {
  it('says where a failover went and why, and which heartbeat failed', () => {
    expect(
      progressLine({
        kind: 'failover',
        event: { uri: 'seg-0-00009.m4s', from: 'edge-a', to: 'edge-b', reason: 'HTTP 503' },
      }),
    ).toBe('failover: seg-0-00009.m4s edge-a -> edge-b (HTTP 503)');
    const heartbeat = { position: 10, rendition: '480p', edge: 'edge-a', bufferSeconds: 8 };
    expect(progressLine({ kind: 'heartbeat', heartbeat, ok: true })).toBeNull();
    expect(progressLine({ kind: 'heartbeat', heartbeat, ok: false, error: 'heartbeat answered 503' })).toBe(
      'heartbeat at 10s failed: heartbeat answered 503',
    );
  });
});

describe('summaryLines', () => {
  it('shows every figure of the report, aligned', () => {
    const r = {
      title: 'Big Trip',
      titleId: 'big-trip-1',
      playId: 'p_1',
      traceId: 't1',
      protocol: 'hls',
      playedSeconds: 30,
      startPositionSeconds: 0,
      endReason: 'duration',
      completed: true,
      realSeconds: 3.4,
      startLatencyMs: 834,
      startupSeconds: 1.39,
      edges: [
        { name: 'edge-a', objects: 20, bytes: 3_000_000 },
        { name: 'edge-b', objects: 6, bytes: 1_330_000 },
      ],
      failovers: [
        { uri: 'seg-0-00009.m4s', from: 'edge-a', to: 'edge-b', reason: 'HTTP 503' },
        { uri: 'seg-4-00010.m4s', from: 'edge-a', to: 'edge-b', reason: 'HTTP 503' },
      ],
      edgeSwitches: [{ from: 'edge-a', to: 'edge-b', uri: 'seg-0-00009.m4s' }],
      renditions: [
        { id: '240p', bitrateBps: 495909, segments: 3, playedSeconds: 12 },
        { id: '360p', bitrateBps: 909519, segments: 0, playedSeconds: 0 },
        { id: '480p', bitrateBps: 1417735, segments: 5, playedSeconds: 18 },
      ],
      switches: [{ from: '240p', to: '480p', atSeconds: 2.7, segment: 3, reason: 'throughput-rise' }],
      rebufferCount: 1,
      rebufferSeconds: 2.5,
      videoBytes: 4_030_000,
      audioBytes: 298_200,
      manifestBytes: 3200,
      videoSegments: 8,
      audioSegments: 9,
      cache: { hits: 20, answers: 26 },
      heartbeats: { sent: 3, failed: 1, errors: ['x'] },
      meanThroughputBps: 1_896_000,
      averageBitrateBps: 1_049_000,
    } as unknown as PlaySessionResult;
    expect(summaryLines(r)).toEqual([
      'title          Big Trip (big-trip-1)',
      'play id        p_1',
      'trace id       t1',
      'protocol       hls',
      'played         30.0s from 0s (duration) in 3.4s real',
      'start latency  834 ms to the first video byte',
      'startup        1.39s (media time)',
      'edges          edge-a 20 objects 3.00 MB, edge-b 6 objects 1.33 MB',
      'failovers      2 object(s) moved; edge edge-a -> edge-b at seg-0-00009.m4s',
      'renditions     240p 12.0s/3 seg, 480p 18.0s/5 seg',
      'switches       240p->480p at 2.7s (seg 3, throughput-rise)',
      'rebuffering    1 stall(s), 2.50s',
      'bytes          video 4.03 MB, audio 298.2 kB, manifests 3.2 kB',
      'segments       video 8, audio 9',
      'cache hits     20/26 (77%)',
      'heartbeats     3 sent, 1 failed',
      'throughput     1.896mbps mean, 1.049mbps average bitrate played',
    ]);
  });
});
