import { describe, expect, it } from 'vitest';
import { createTwoTierBalancer } from './balancing.js';
import { HealthTracker } from './health.js';

function setup() {
  const balancer = createTwoTierBalancer([
    { name: 'a', instances: ['ga'] },
    { name: 'b', instances: ['gb'] },
  ]);
  return { balancer, health: new HealthTracker(['ga', 'gb'], balancer) };
}

describe('HealthTracker', () => {
  it('takes no traffic before a check passes, then one success brings a target in', () => {
    const { balancer, health } = setup();
    expect(balancer.pick()).toBeNull();
    expect(health.record('ga', true, 1)).toBe('healthy');
    expect(balancer.pick()).toEqual({ zone: 'a', instance: 'ga' });
    expect(health.record('ga', true, 2)).toBeNull();
  });

  it('takes a target out after two failures in a row, not one', () => {
    const { balancer, health } = setup();
    health.record('ga', true, 1);
    health.record('gb', true, 1);
    expect(health.record('gb', false, 2, 'ECONNREFUSED')).toBeNull();
    expect(health.isHealthy('gb')).toBe(true);
    expect(health.record('gb', true, 3)).toBeNull();
    expect(health.record('gb', false, 4)).toBeNull();
    expect(health.record('gb', false, 5, 'ECONNREFUSED')).toBe('unhealthy');
    expect(health.snapshot('gb')).toMatchObject({
      healthy: false,
      consecutiveFailures: 2,
      lastError: 'ECONNREFUSED',
    });
    expect([balancer.pick(), balancer.pick()]).toEqual([
      { zone: 'a', instance: 'ga' },
      { zone: 'a', instance: 'ga' },
    ]);
    expect(balancer.pickRetry('a')).toBeNull();
    expect(health.record('gb', true, 6)).toBe('healthy');
    expect(balancer.pickRetry('a')).toEqual({ zone: 'b', instance: 'gb' });
  });

  it('refuses reports about unknown targets', () => {
    expect(() => setup().health.record('nope', true, 1)).toThrow('unknown target nope');
  });
});
