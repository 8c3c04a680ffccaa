import { describe, expect, it } from 'vitest';
import { columns } from '../../core/columns.js';
import type { TopSnapshot } from '../top.js';
import { formatBytesPerSecond, formatMs, plainTop, topLines } from './top-view.js';

/** A cluster as big as the default one: every service, many breakers, every consumer group. */
function bigSnapshot(): TopSnapshot {
  const services = [
    'gateway',
    'elb',
    'playback',
    'catalog',
    'users',
    'steering',
    'discovery',
    'stats',
    'comments',
    'history',
    'uploads',
    'search',
    'recommendations',
    'orchestrator',
    'transcoder',
    'distribution',
    'log-agent',
    'log-collector',
  ].map((service, i) => ({
    service,
    instances: 2,
    up: service === 'stats' ? 1 : 2,
    rps: 100 - i,
    errorPct: service === 'playback' ? 12.5 : 0,
    p50Ms: 3.2,
    p99Ms: 1250,
  }));
  const breakers = Array.from({ length: 20 }, (_, i) => ({
    service: 'playback',
    dependency: `dependency-with-a-long-name-${i}`,
    state: i === 0 ? ('open' as const) : ('closed' as const),
    states: {},
    calls: { success: 10 * i, timeout: i === 0 ? 7 : 0 },
    inFlight: 1,
    queued: 0,
    maxConcurrent: 64,
  }));
  return {
    cluster: 'ünïcode-集群',
    at: '2026-12-04T21:00:00.000Z',
    window: '1m',
    components: {
      total: 42,
      healthy: 40,
      troubled: [
        { name: 'stats-b-1', state: 'restarting', restarts: 3, scrape: 'down' },
        { name: 'kafka', state: 'failed', restarts: 5, scrape: null },
      ],
    },
    services,
    breakers: [breakers[0], ...breakers.slice(1)] as TopSnapshot['breakers'],
    evcache: [
      { zone: 'a', hits: 90, crossZoneHits: 5, misses: 5, failures: 0, hitRatio: 0.95 },
      { zone: 'b', hits: 10, crossZoneHits: 0, misses: 10, failures: 2, hitRatio: 0.5 },
    ],
    edges: [
      { edge: 'edge-a', requests: 400, hits: 300, hitRatio: 0.75, bytesPerSecond: 3.5 * 1024 * 1024 },
      { edge: 'edge-b', requests: 0, hits: 0, hitRatio: null, bytesPerSecond: 0 },
    ],
    kafkaLag: Array.from({ length: 12 }, (_, i) => ({
      group: `flix-group-${i}`,
      topic: 'title-events',
      lag: 50 - i,
    })),
  };
}

const width = (line: string) => columns(line);

describe('flix top view', () => {
  it('fits an 80×24 terminal and keeps what matters: the open breaker, the failing components, the busiest service', () => {
    const text = plainTop(bigSnapshot(), 80, 24);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(width(l)).toBeLessThanOrEqual(80);
    expect(text).toContain('ünïcode-集群');
    expect(text).toMatch(/playback→depe….*OPEN\s+7\/7/);
    expect(text).toMatch(/DOWN stats-b-1 restarting ↻3, kafka failed ↻5/);
    expect(text).toMatch(/gateway\s+100\s+0\.0%\s+3\.2ms\s+1\.3s/);
    expect(text).toMatch(/playback\s+98\s+12\.5%/);
    expect(text).toMatch(/stats 1\/2/);
    expect(text).toMatch(/… \d+ more/);
    expect(text).toMatch(/zone a\s+95%\s+5%\s+100\s+0/);
    expect(text).toMatch(/edge-a\s+75%\s+400\s+3\.5 MiB\/s/);
    expect(text).toMatch(/flix-group-0 title-events\s+50/);
  });

  it('gives every line exactly the width asked, a footer on the last, one column when narrow', () => {
    for (const [w, h] of [
      [80, 24],
      [120, 40],
      [60, 30],
    ] as const) {
      const lines = topLines(bigSnapshot(), w, h, 'every 2s · q quits');
      expect(lines.length).toBeLessThanOrEqual(h);
      for (const l of lines) expect(width(l.map((s) => s.text).join(''))).toBe(w);
      expect(
        lines
          .at(-1)
          ?.map((s) => s.text)
          .join(''),
      ).toMatch(/^every 2s · q quits\s*$/);
    }
    const narrow = plainTop(bigSnapshot(), 60, 30);
    expect(narrow).toMatch(/^SERVICE/m);
    expect(narrow).toMatch(/^BREAKER/m);
  });

  it('colours an open breaker red and a 5xx share over 1 % red', () => {
    const segments = topLines(bigSnapshot()).flat();
    expect(segments.find((s) => s.text.startsWith('OPEN'))?.color).toBe('red');
    expect(segments.find((s) => s.text.trim() === '12.5%')?.color).toBe('red');
  });

  it('formats durations and rates for a narrow column', () => {
    expect([formatMs(null), formatMs(0.42), formatMs(47.4), formatMs(2500)]).toEqual([
      '–',
      '0.4ms',
      '47ms',
      '2.5s',
    ]);
    expect([formatBytesPerSecond(10), formatBytesPerSecond(2048)]).toEqual(['10 B/s', '2.0 KiB/s']);
  });
});
