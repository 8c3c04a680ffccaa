import type { Consumer } from 'kafkajs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EvCacheStats } from './evcache.js';
import type { CommandSnapshot } from './resilience/index.js';

/**
 * A service's Prometheus metrics, served at GET /metrics: its requests by route and status, the
 * health of every dependency it isolates (breaker state, calls by outcome, bulkhead use), EVCache
 * reads and Kafka consumer lag, beside Node's process metrics (CPU, memory, event-loop delay).
 * Which component, service and zone a series belongs to comes from Prometheus's target labels,
 * so no series here repeats them.
 *
 * The dependency and cache numbers are read from the objects that already keep them when
 * Prometheus scrapes: nothing is added to the path of a call.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly breakerSources: Array<() => CommandSnapshot[]> = [];
  private readonly caches: EvCacheStats[] = [];
  private readonly lag: Gauge<'group' | 'topic' | 'partition'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'flix_http_requests_total',
      help: 'Requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'flix_http_request_duration_seconds',
      help: 'Time from a request arriving to its response finishing, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lag = new Gauge({
      name: 'flix_kafka_consumer_lag',
      help: 'Messages behind the partition end after the consumer group last handled a batch',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    });

    const commands = () => this.breakerSources.flatMap((source) => source());
    new Gauge({
      name: 'flix_breaker_state',
      help: "A dependency's circuit breaker: 1 for the state it is in (closed, open, half-open, isolated)",
      labelNames: ['dependency', 'state'],
      registers,
      collect() {
        this.reset();
        for (const c of commands()) {
          const current = c.isolated ? 'isolated' : c.breaker.state;
          for (const state of ['closed', 'open', 'half-open', 'isolated'])
            this.set({ dependency: c.name, state }, state === current ? 1 : 0);
        }
      },
    });
    new Counter({
      name: 'flix_dependency_calls_total',
      help: 'Calls to a dependency by outcome (success, failure, timeout, rejection, short-circuit, fallback, cancellation)',
      labelNames: ['dependency', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const c of commands())
          for (const [outcome, n] of Object.entries(outcomes(c)))
            this.inc({ dependency: c.name, outcome }, n);
      },
    });
    const bulkhead = (name: string, help: string, read: (c: CommandSnapshot) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['dependency'],
        registers,
        collect() {
          this.reset();
          for (const c of commands()) this.set({ dependency: c.name }, read(c));
        },
      });
    bulkhead('flix_bulkhead_in_flight', 'Calls to a dependency running now', (c) => c.inFlight);
    bulkhead('flix_bulkhead_queued', 'Calls to a dependency waiting for a bulkhead slot', (c) => c.queued);
    bulkhead('flix_bulkhead_max_concurrent', "The bulkhead's size", (c) => c.limits.maxConcurrent);

    const caches = this.caches;
    const cacheCounter = (name: string, help: string, results: Record<string, (s: EvCacheStats) => number>) =>
      new Counter({
        name,
        help,
        labelNames: ['result'],
        registers,
        collect() {
          this.reset();
          for (const [result, read] of Object.entries(results))
            this.inc(
              { result },
              caches.reduce((n, s) => n + read(s), 0),
            );
        },
      });
    cacheCounter(
      'flix_evcache_reads_total',
      "EVCache reads by result: hit (in this zone's memcached), cross-zone-hit, miss, failure",
      {
        // the cache counts a hit from another zone both as a hit and a cross-zone hit
        hit: (s) => s.hits - s.crossZoneHits,
        'cross-zone-hit': (s) => s.crossZoneHits,
        miss: (s) => s.misses,
        failure: (s) => s.readFailures,
      },
    );
    cacheCounter('flix_evcache_writes_total', 'EVCache writes (to every zone) by result', {
      ok: (s) => s.writes - s.writeFailures,
      failure: (s) => s.writeFailures,
    });
  }

  /** Counts one answered request (route: the pattern it matched, so ids do not make series). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** Reports these dependencies' isolations at every scrape. */
  watchBreakers(source: () => CommandSnapshot[]): void {
    this.breakerSources.push(source);
  }

  /** Reports an EVCache client's counters at every scrape. */
  watchEvCache(stats: EvCacheStats): void {
    this.caches.push(stats);
  }

  /** Keeps the lag of a consumer group's partitions, as kafkajs reports it after each batch. */
  watchConsumer(consumer: Consumer, group: string): void {
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, offsetLag } = e.payload;
      this.lag.set({ group, topic, partition: String(partition) }, Number(offsetLag));
    });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function outcomes(c: CommandSnapshot): Record<string, number> {
  const k = c.counts;
  return {
    success: k.successes,
    failure: k.failures,
    timeout: k.timeouts,
    rejection: k.rejections,
    'short-circuit': k.shortCircuits,
    fallback: k.fallbacks,
    cancellation: k.cancellations,
  };
}
