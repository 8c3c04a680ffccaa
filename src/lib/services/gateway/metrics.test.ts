import { describe, expect, it } from 'vitest';
import { GatewayMetrics, quantile } from './metrics.js';

describe('quantile', () => {
  it('takes the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([7], 0.01)).toBe(7);
  });
});

describe('GatewayMetrics', () => {
  it('counts by route and status and keeps latency and overhead percentiles', () => {
    const m = new GatewayMetrics();
    for (let i = 1; i <= 100; i++) m.record('titles', i === 100 ? 503 : 200, i, i - 1);
    m.record('health', 200, 0.5);
    const s = m.snapshot();
    expect(s.requests).toBe(101);
    const titles = s.routes.find((r) => r.route === 'titles');
    expect(titles?.statuses).toEqual({ 200: 99, 503: 1 });
    expect(titles?.latencyMs).toMatchObject({ count: 100, p50: 50, p99: 99, max: 100 });
    expect(titles?.overheadMs).toMatchObject({ p50: 1, p99: 1 });
    expect(s.routes.find((r) => r.route === 'health')?.overheadMs.p50).toBe(0.5);
  });

  it('keeps only the last `window` samples', () => {
    const m = new GatewayMetrics(10);
    for (let i = 0; i < 100; i++) m.record('r', 200, i < 90 ? 1000 : 1);
    expect(m.snapshot().routes[0]?.latencyMs).toMatchObject({ count: 10, max: 1 });
  });
});
