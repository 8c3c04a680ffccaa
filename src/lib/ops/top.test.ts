import { describe, expect, it } from 'vitest';
import type { ComponentStatus } from '../cluster/components.js';
import type { Sample } from '../engines/prometheus/query.js';
import { assembleTop, TOP_QUERIES, type TopAnswers } from './top.js';

function component(name: string, engine: string, state = 'healthy', restarts = 0): ComponentStatus {
  return {
    name,
    role: engine === 'service' ? 'service' : 'engine',
    engine,
    zone: name.match(/-([ab])(-|$)/)?.[1] ?? null,
    state,
    pid: 1,
    pidStartTime: 1,
    endpoint: 'http://127.0.0.1:1',
    ports: { http: 1 },
    healthySince: 1,
    startedAt: 1,
    restarts,
    lastExit: null,
    logFile: '/dev/null',
  } as ComponentStatus;
}

const sample = (value: number, labels: Record<string, string>): Sample => ({ labels, value });
const none = () => Object.fromEntries(Object.keys(TOP_QUERIES).map((k) => [k, []])) as unknown as TopAnswers;

describe('flix top snapshot', () => {
  const components = [
    component('gateway-a-1', 'service'),
    component('gateway-b-1', 'service'),
    component('stats-a-1', 'service', 'restarting', 2),
    component('edge-a', 'edge'),
    component('kafka', 'kafka'),
  ];

  it('sums each service over its instances and derives 5xx share and latency from the rates', () => {
    const a = none();
    a.up = [
      sample(1, { component: 'gateway-a-1', kind: 'gateway' }),
      sample(0, { component: 'gateway-b-1', kind: 'gateway' }),
      sample(1, { component: 'stats-a-1', kind: 'stats' }),
    ];
    a.rps = [sample(40, { kind: 'gateway' })];
    a.errors = [sample(2, { kind: 'gateway' })];
    a.p50 = [sample(0.004, { kind: 'gateway' })];
    a.p99 = [sample(0.25, { kind: 'gateway' }), sample(Number.NaN, { kind: 'stats' })];
    const s = assembleTop('x', components, a);
    expect(s.services).toEqual([
      { service: 'gateway', instances: 2, up: 1, rps: 40, errorPct: 5, p50Ms: 4, p99Ms: 250 },
      { service: 'stats', instances: 1, up: 1, rps: 0, errorPct: null, p50Ms: null, p99Ms: null },
    ]);
    // the supervisor's restarting component and the healthy one Prometheus cannot scrape
    expect(s.components.troubled.map((t) => [t.name, t.state, t.scrape])).toEqual([
      ['gateway-b-1', 'healthy', 'down'],
      ['stats-a-1', 'restarting', 'up'],
    ]);
    expect(s.components).toMatchObject({ total: 5, healthy: 4 });
  });

  it("shows a dependency's worst state over the instances, open ones first, with their calls and bulkhead", () => {
    const a = none();
    a.breakerState = [
      sample(1, { kind: 'gateway', component: 'gateway-a-1', dependency: 'catalog', state: 'closed' }),
      sample(1, { kind: 'gateway', component: 'gateway-a-1', dependency: 'recommendations', state: 'open' }),
      sample(1, {
        kind: 'gateway',
        component: 'gateway-b-1',
        dependency: 'recommendations',
        state: 'half-open',
      }),
    ];
    a.calls = [
      sample(30, { kind: 'gateway', dependency: 'catalog', outcome: 'success' }),
      sample(4, { kind: 'gateway', dependency: 'recommendations', outcome: 'timeout' }),
      sample(9.6, { kind: 'gateway', dependency: 'recommendations', outcome: 'short-circuit' }),
    ];
    a.inFlight = [sample(3, { kind: 'gateway', dependency: 'catalog' })];
    a.maxConcurrent = [sample(128, { kind: 'gateway', dependency: 'catalog' })];
    const s = assembleTop('x', components, a);
    expect(s.breakers.map((b) => [b.dependency, b.state, b.states])).toEqual([
      ['recommendations', 'open', { open: 1, 'half-open': 1 }],
      ['catalog', 'closed', { closed: 1 }],
    ]);
    expect(s.breakers[0]?.calls).toEqual({ timeout: 4, 'short-circuit': 10 });
    expect(s.breakers[1]).toMatchObject({ inFlight: 3, maxConcurrent: 128 });
  });

  it('makes hit ratios per zone and per edge, and lists every edge even before its first request', () => {
    const a = none();
    a.evcache = [
      sample(90, { zone: 'a', result: 'hit' }),
      sample(5, { zone: 'a', result: 'cross-zone-hit' }),
      sample(5, { zone: 'a', result: 'miss' }),
    ];
    a.edgeRequests = [
      sample(30, { edge: 'edge-b', cache: 'HIT' }),
      sample(10, { edge: 'edge-b', cache: 'MISS' }),
    ];
    a.edgeBytes = [sample(2048, { edge: 'edge-b' })];
    a.lag = [sample(3, { group: 'g1', topic: 't' }), sample(700, { group: 'g2', topic: 't' })];
    const s = assembleTop('x', components, a);
    expect(s.evcache).toEqual([
      { zone: 'a', hits: 90, crossZoneHits: 5, misses: 5, failures: 0, hitRatio: 0.95 },
    ]);
    expect(s.edges).toEqual([
      { edge: 'edge-a', requests: 0, hits: 0, hitRatio: null, bytesPerSecond: 0 },
      { edge: 'edge-b', requests: 40, hits: 30, hitRatio: 0.75, bytesPerSecond: 2048 },
    ]);
    expect(s.kafkaLag.map((l) => l.group)).toEqual(['g2', 'g1']);
  });
});
