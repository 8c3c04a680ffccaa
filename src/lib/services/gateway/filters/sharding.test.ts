import { describe, expect, it } from 'vitest';
import { createContext } from '../filter.js';
import { shardingFilter, wantsCanary } from './sharding.js';

describe('wantsCanary', () => {
  it('obeys the header either way, whatever the percentage', () => {
    expect(wantsCanary('1', 0, () => 0.99)).toBe(true);
    expect(wantsCanary('always', 0, () => 0.99)).toBe(true);
    expect(wantsCanary('0', 100, () => 0)).toBe(false);
    expect(wantsCanary('never', 100, () => 0)).toBe(false);
  });

  it('otherwise sends canaryPercent of requests', () => {
    expect(wantsCanary(undefined, 0, () => 0)).toBe(false);
    expect(wantsCanary(undefined, 10, () => 0.05)).toBe(true);
    expect(wantsCanary(undefined, 10, () => 0.1)).toBe(false);
    expect(wantsCanary('maybe', 100, () => 0.999)).toBe(true);
    let i = 0;
    const seq = () => (i++ % 100) / 100;
    const sent = Array.from({ length: 1000 }, () => wantsCanary(undefined, 25, seq)).filter(Boolean).length;
    expect(sent).toBe(250);
  });
});

describe('shardingFilter', () => {
  it('marks the route for a canary, and only runs once there is a route', () => {
    const f = shardingFilter({ canaryPercent: 0 });
    const c = createContext({
      method: 'GET',
      path: '/api/titles',
      clientIp: 'x',
      headers: { 'x-flix-canary': '1' },
    });
    expect(f.shouldFilter(c)).toBe(false);
    c.route = { service: 'catalog', path: '/v1/titles' };
    expect(f.shouldFilter(c)).toBe(true);
    f.apply(c);
    expect(c.route.canary).toBe(true);
  });
});
