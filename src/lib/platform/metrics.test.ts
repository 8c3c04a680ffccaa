import { describe, expect, it } from 'vitest';
import type { EvCacheStats } from './evcache.js';
import { ServiceMetrics } from './metrics.js';
import { isolation } from './resilience/index.js';

/** The value of one series in Prometheus's text exposition ('' when absent). */
function sample(text: string, name: string, labels: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? (line.split(' ').at(-1) as string) : '';
}

describe('ServiceMetrics', () => {
  it('counts requests and their latency by route pattern and status', async () => {
    const m = new ServiceMetrics();
    m.observeRequest('GET', '/titles/:id', 200, 0.004);
    m.observeRequest('GET', '/titles/:id', 200, 0.3);
    m.observeRequest('GET', '/titles/:id', 404, 0.001);
    const { contentType, body } = await m.render();
    expect(contentType).toContain('text/plain');
    expect(sample(body, 'flix_http_requests_total', 'method="GET",route="/titles/:id",status="200"')).toBe(
      '2',
    );
    expect(sample(body, 'flix_http_requests_total', 'method="GET",route="/titles/:id",status="404"')).toBe(
      '1',
    );
    expect(
      sample(
        body,
        'flix_http_request_duration_seconds_bucket',
        'le="0.005",method="GET",route="/titles/:id",status="200"',
      ),
    ).toBe('1');
    expect(
      sample(
        body,
        'flix_http_request_duration_seconds_count',
        'method="GET",route="/titles/:id",status="200"',
      ),
    ).toBe('2');
    // Node's own process metrics come with it
    expect(body).toContain('process_cpu_seconds_total');
  });

  it("reads a dependency's breaker, outcomes and bulkhead at the scrape", async () => {
    const m = new ServiceMetrics();
    const cmd = isolation<string>('catalog', { maxConcurrent: 3, fallback: () => 'cached' });
    m.watchBreakers(() => [cmd.snapshot()]);
    await cmd.execute(async () => 'ok');
    await cmd.execute(async () => {
      throw new Error('down');
    });
    let body = (await m.render()).body;
    expect(sample(body, 'flix_breaker_state', 'dependency="catalog",state="closed"')).toBe('1');
    expect(sample(body, 'flix_breaker_state', 'dependency="catalog",state="open"')).toBe('0');
    expect(sample(body, 'flix_dependency_calls_total', 'dependency="catalog",outcome="success"')).toBe('1');
    expect(sample(body, 'flix_dependency_calls_total', 'dependency="catalog",outcome="failure"')).toBe('1');
    expect(sample(body, 'flix_dependency_calls_total', 'dependency="catalog",outcome="fallback"')).toBe('1');
    expect(sample(body, 'flix_bulkhead_max_concurrent', 'dependency="catalog"')).toBe('3');

    // forced open: the next scrape says so, and the counts do not add up twice across scrapes
    const handle = cmd.isolate();
    body = (await m.render()).body;
    expect(sample(body, 'flix_breaker_state', 'dependency="catalog",state="isolated"')).toBe('1');
    expect(sample(body, 'flix_breaker_state', 'dependency="catalog",state="closed"')).toBe('0');
    expect(sample(body, 'flix_dependency_calls_total', 'dependency="catalog",outcome="success"')).toBe('1');
    handle.release();
  });

  it('splits EVCache hits into local and cross-zone, summed over its clients', async () => {
    const m = new ServiceMetrics();
    const a: EvCacheStats = {
      hits: 10,
      misses: 2,
      crossZoneHits: 3,
      writes: 5,
      writeFailures: 1,
      readFailures: 0,
    };
    const b: EvCacheStats = {
      hits: 1,
      misses: 1,
      crossZoneHits: 0,
      writes: 0,
      writeFailures: 0,
      readFailures: 4,
    };
    m.watchEvCache(a);
    m.watchEvCache(b);
    a.hits += 1;
    const body = (await m.render()).body;
    expect(sample(body, 'flix_evcache_reads_total', 'result="hit"')).toBe('9');
    expect(sample(body, 'flix_evcache_reads_total', 'result="cross-zone-hit"')).toBe('3');
    expect(sample(body, 'flix_evcache_reads_total', 'result="miss"')).toBe('3');
    expect(sample(body, 'flix_evcache_reads_total', 'result="failure"')).toBe('4');
    expect(sample(body, 'flix_evcache_writes_total', 'result="ok"')).toBe('4');
    expect(sample(body, 'flix_evcache_writes_total', 'result="failure"')).toBe('1');
  });
});
