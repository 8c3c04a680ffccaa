import type { ComponentStatus } from '../cluster/components.js';
import { FlixError } from '../core/errors.js';
import { instantQuery, PrometheusError, type Sample } from '../engines/prometheus/query.js';
import { clusterStatus } from './status.js';

/**
 * `flix top`: the Hystrix dashboard for flix, read from the cluster's Prometheus. Rates are over
 * the last minute, so a number moves a few scrapes after the traffic does; states (breakers,
 * bulkheads, lag) are the last scrape's.
 */
export const TOP_WINDOW = '1m';

export interface ServiceRow {
  service: string;
  /** instances Prometheus scrapes / of them answering */
  instances: number;
  up: number;
  rps: number;
  /** share of answers that were 5xx, %, null without traffic */
  errorPct: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** One service's dependency, over its instances: the worst state any of them is in. */
export interface BreakerRow {
  service: string;
  dependency: string;
  state: BreakerState;
  /** instances in each state */
  states: Partial<Record<BreakerState, number>>;
  /** calls in the window by outcome (success, failure, timeout, rejection, short-circuit, ...) */
  calls: Record<string, number>;
  inFlight: number;
  queued: number;
  maxConcurrent: number;
}

export interface EvCacheRow {
  zone: string;
  hits: number;
  crossZoneHits: number;
  misses: number;
  failures: number;
  /** (hits + cross-zone hits) / reads, null without reads */
  hitRatio: number | null;
}

export interface EdgeRow {
  edge: string;
  requests: number;
  hits: number;
  hitRatio: number | null;
  bytesPerSecond: number;
}

export interface LagRow {
  group: string;
  topic: string;
  lag: number;
}

export interface TopSnapshot {
  cluster: string;
  at: string;
  window: string;
  components: {
    total: number;
    healthy: number;
    /** not healthy by the supervisor, or healthy but failing Prometheus's scrape */
    troubled: Array<{ name: string; state: string; restarts: number; scrape: 'up' | 'down' | null }>;
  };
  services: ServiceRow[];
  breakers: BreakerRow[];
  evcache: EvCacheRow[];
  edges: EdgeRow[];
  kafkaLag: LagRow[];
}

const w = TOP_WINDOW;
/** The queries a snapshot is made of; `kind` is the target label naming a component's service. */
export const TOP_QUERIES = {
  up: 'up',
  rps: `sum by (kind) (rate(flix_http_requests_total[${w}]))`,
  errors: `sum by (kind) (rate(flix_http_requests_total{status=~"5.."}[${w}]))`,
  p50: `histogram_quantile(0.5, sum by (kind, le) (rate(flix_http_request_duration_seconds_bucket[${w}])))`,
  p99: `histogram_quantile(0.99, sum by (kind, le) (rate(flix_http_request_duration_seconds_bucket[${w}])))`,
  breakerState: 'flix_breaker_state == 1',
  calls: `sum by (kind, dependency, outcome) (increase(flix_dependency_calls_total[${w}]))`,
  inFlight: 'sum by (kind, dependency) (flix_bulkhead_in_flight)',
  queued: 'sum by (kind, dependency) (flix_bulkhead_queued)',
  maxConcurrent: 'sum by (kind, dependency) (flix_bulkhead_max_concurrent)',
  evcache: `sum by (zone, result) (increase(flix_evcache_reads_total[${w}]))`,
  edgeRequests: `sum by (edge, cache) (increase(flix_edge_requests_total[${w}]))`,
  edgeBytes: `sum by (edge) (rate(flix_edge_sent_bytes_total[${w}]))`,
  // one instance reports the partitions it consumes; after a rebalance another one does
  lag: 'sum by (group, topic) (max by (group, topic, partition) (flix_kafka_consumer_lag))',
} as const;

export type TopAnswers = Record<keyof typeof TOP_QUERIES, Sample[]>;

const severity: Record<BreakerState, number> = { closed: 0, isolated: 1, 'half-open': 2, open: 3 };
const finite = (n: number) => (Number.isFinite(n) ? n : null);

/** The snapshot from the supervisor's components and Prometheus's answers (pure). */
export function assembleTop(
  cluster: string,
  components: readonly ComponentStatus[],
  a: TopAnswers,
  at = new Date(),
): TopSnapshot {
  const byKind = (samples: Sample[]) => new Map(samples.map((s) => [s.labels.kind ?? '', s.value]));
  const scrape = new Map(a.up.map((s) => [s.labels.component ?? '', s.value === 1 ? 'up' : 'down'] as const));

  const services = new Map<string, ServiceRow>();
  for (const s of a.up) {
    const kind = s.labels.kind ?? '';
    if (!components.some((c) => c.name === s.labels.component && c.engine === 'service')) continue;
    const row = services.get(kind) ?? {
      service: kind,
      instances: 0,
      up: 0,
      rps: 0,
      errorPct: null,
      p50Ms: null,
      p99Ms: null,
    };
    row.instances++;
    if (s.value === 1) row.up++;
    services.set(kind, row);
  }
  const rps = byKind(a.rps);
  const errors = byKind(a.errors);
  const p50 = byKind(a.p50);
  const p99 = byKind(a.p99);
  for (const row of services.values()) {
    row.rps = rps.get(row.service) ?? 0;
    if (row.rps > 0) row.errorPct = ((errors.get(row.service) ?? 0) / row.rps) * 100;
    const ms = (v: number | undefined) => (v === undefined ? null : finite(v * 1000));
    row.p50Ms = row.rps > 0 ? ms(p50.get(row.service)) : null;
    row.p99Ms = row.rps > 0 ? ms(p99.get(row.service)) : null;
  }

  const breakers = new Map<string, BreakerRow>();
  const breaker = (l: Record<string, string>) => {
    const key = `${l.kind}\u0000${l.dependency}`;
    let row = breakers.get(key);
    if (!row) {
      row = {
        service: l.kind ?? '',
        dependency: l.dependency ?? '',
        state: 'closed',
        states: {},
        calls: {},
        inFlight: 0,
        queued: 0,
        maxConcurrent: 0,
      };
      breakers.set(key, row);
    }
    return row;
  };
  for (const s of a.breakerState) {
    const row = breaker(s.labels);
    const state = s.labels.state as BreakerState;
    if (!(state in severity)) continue;
    row.states[state] = (row.states[state] ?? 0) + 1;
    if (severity[state] > severity[row.state]) row.state = state;
  }
  for (const s of a.calls) breaker(s.labels).calls[s.labels.outcome ?? ''] = Math.round(s.value);
  for (const s of a.inFlight) breaker(s.labels).inFlight = s.value;
  for (const s of a.queued) breaker(s.labels).queued = s.value;
  for (const s of a.maxConcurrent) breaker(s.labels).maxConcurrent = s.value;

  const zones = new Map<string, EvCacheRow>();
  for (const s of a.evcache) {
    const zone = s.labels.zone || '-';
    const row = zones.get(zone) ?? {
      zone,
      hits: 0,
      crossZoneHits: 0,
      misses: 0,
      failures: 0,
      hitRatio: null,
    };
    const n = Math.round(s.value);
    if (s.labels.result === 'hit') row.hits += n;
    else if (s.labels.result === 'cross-zone-hit') row.crossZoneHits += n;
    else if (s.labels.result === 'miss') row.misses += n;
    else if (s.labels.result === 'failure') row.failures += n;
    zones.set(zone, row);
  }
  for (const row of zones.values()) {
    const reads = row.hits + row.crossZoneHits + row.misses + row.failures;
    row.hitRatio = reads > 0 ? (row.hits + row.crossZoneHits) / reads : null;
  }

  const edges = new Map<string, EdgeRow>();
  const edge = (name: string) => {
    let row = edges.get(name);
    if (!row) {
      row = { edge: name, requests: 0, hits: 0, hitRatio: null, bytesPerSecond: 0 };
      edges.set(name, row);
    }
    return row;
  };
  for (const c of components) if (c.engine === 'edge') edge(c.name);
  for (const s of a.edgeRequests) {
    const row = edge(s.labels.edge ?? '');
    const n = Math.round(s.value);
    row.requests += n;
    if (s.labels.cache === 'HIT') row.hits += n;
  }
  for (const s of a.edgeBytes) edge(s.labels.edge ?? '').bytesPerSecond = s.value;
  for (const row of edges.values()) row.hitRatio = row.requests > 0 ? row.hits / row.requests : null;

  const troubled = components
    .filter((c) => c.state !== 'healthy' || scrape.get(c.name) === 'down')
    .map((c) => ({ name: c.name, state: c.state, restarts: c.restarts, scrape: scrape.get(c.name) ?? null }));

  const name = (x: { service: string }, y: { service: string }) => x.service.localeCompare(y.service);
  return {
    cluster,
    at: at.toISOString(),
    window: TOP_WINDOW,
    components: {
      total: components.length,
      healthy: components.filter((c) => c.state === 'healthy').length,
      troubled,
    },
    // the busiest first, then by name, so the rows that matter stay on a small screen
    services: [...services.values()].sort((x, y) => y.rps - x.rps || name(x, y)),
    breakers: [...breakers.values()].sort(
      (x, y) =>
        severity[y.state] - severity[x.state] ||
        total(y.calls) - total(x.calls) ||
        name(x, y) ||
        x.dependency.localeCompare(y.dependency),
    ),
    evcache: [...zones.values()].sort((x, y) => x.zone.localeCompare(y.zone)),
    edges: [...edges.values()].sort((x, y) => x.edge.localeCompare(y.edge)),
    kafkaLag: a.lag
      .map((s) => ({ group: s.labels.group ?? '', topic: s.labels.topic ?? '', lag: Math.round(s.value) }))
      .sort((x, y) => y.lag - x.lag || x.group.localeCompare(y.group) || x.topic.localeCompare(y.topic)),
  };
}

export function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((n, v) => n + v, 0);
}

/** One snapshot of a running cluster: its components from the supervisor, the rest from Prometheus. */
export async function topSnapshot(cluster: string): Promise<TopSnapshot> {
  const { state } = await clusterStatus(cluster);
  const prometheus = state.components.find((c) => c.engine === 'prometheus');
  if (!prometheus)
    throw new FlixError(`cluster '${cluster}' runs no Prometheus: nothing collects its metrics`, {
      code: 'usage',
      nextStep:
        'turn metrics on in its cluster file (observability.enabled and engines.prometheus.enabled), then `flix up` again; `flix status --breakers` asks the services directly',
    });
  const entries = Object.entries(TOP_QUERIES) as Array<[keyof typeof TOP_QUERIES, string]>;
  try {
    const answers = await Promise.all(entries.map(([, q]) => instantQuery(prometheus.endpoint, q)));
    return assembleTop(
      cluster,
      state.components,
      Object.fromEntries(entries.map(([k], i) => [k, answers[i]])) as TopAnswers,
    );
  } catch (error) {
    if (!(error instanceof PrometheusError)) throw error;
    throw new FlixError(error.message, {
      code: 'componentFailed',
      nextStep: `\`flix status --name ${cluster}\` shows whether prometheus is healthy; \`flix logs --component prometheus\` what it said`,
    });
  }
}
