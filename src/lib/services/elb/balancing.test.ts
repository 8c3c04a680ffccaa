import { describe, expect, it } from 'vitest';
import { createTwoTierBalancer, type TwoTierBalancer } from './balancing.js';

const zones = [
  { name: 'z1', instances: ['a1', 'a2'] },
  { name: 'z2', instances: ['b1', 'b2', 'b3'] },
];

function picks(b: TwoTierBalancer, n: number): (string | null)[] {
  return Array.from({ length: n }, () => b.pick()?.instance ?? null);
}

describe('two-tier balancer', () => {
  it('alternates across zones first, then round-robins within each zone', () => {
    const b = createTwoTierBalancer(zones, { startHealthy: true });
    expect(b.pick()).toEqual({ zone: 'z1', instance: 'a1' });
    expect(picks(b, 7)).toEqual(['b1', 'a2', 'b2', 'a1', 'b3', 'a2', 'b1']);
  });

  it('takes no traffic before the first passing health check by default', () => {
    const b = createTwoTierBalancer(zones);
    expect(b.pick()).toBeNull();
    expect(b.markHealthy('b2')).toBe(true);
    expect(b.markHealthy('b2')).toBe(false);
    expect(picks(b, 2)).toEqual(['b2', 'b2']);
  });

  it('skips unhealthy instances and picks them again once healthy', () => {
    const b = createTwoTierBalancer(zones, { startHealthy: true });
    expect(b.markUnhealthy('b2')).toBe(true);
    expect(picks(b, 6)).toEqual(['a1', 'b1', 'a2', 'b3', 'a1', 'b1']);
    b.markHealthy('b2');
    expect(picks(b, 2)).toEqual(['a2', 'b2']);
  });

  it('skips zones with no healthy instance, and zones with no instances at all', () => {
    const b = createTwoTierBalancer(
      [{ name: 'empty', instances: [] }, ...zones, { name: 'z3', instances: ['c1'] }],
      {
        startHealthy: true,
      },
    );
    b.markUnhealthy('b1');
    b.markUnhealthy('b2');
    b.markUnhealthy('b3');
    expect(picks(b, 4)).toEqual(['a1', 'c1', 'a2', 'c1']);
  });

  it('retries in another zone, never the one that failed', () => {
    const b = createTwoTierBalancer([...zones, { name: 'z3', instances: ['c1'] }], { startHealthy: true });
    const first = b.pick();
    expect(first?.zone).toBe('z1');
    expect(b.pickRetry('z1')).toEqual({ zone: 'z2', instance: 'b1' });
    // the retry counts as z2's turn, so the next request goes on to z3
    expect(b.pick()).toEqual({ zone: 'z3', instance: 'c1' });
    for (let i = 0; i < 5; i++) expect(b.pickRetry('z2')?.zone).not.toBe('z2');
  });

  it('returns null for a retry when only the failed zone is healthy', () => {
    const b = createTwoTierBalancer(zones, { startHealthy: true });
    for (const id of ['b1', 'b2', 'b3']) b.markUnhealthy(id);
    expect(b.pickRetry('z1')).toBeNull();
    expect(b.pickRetry('z2')?.zone).toBe('z1');
  });

  it('returns null when every instance is down', () => {
    const b = createTwoTierBalancer(zones, { startHealthy: true });
    for (const id of ['a1', 'a2', 'b1', 'b2', 'b3']) b.markUnhealthy(id);
    expect(b.pick()).toBeNull();
    expect(b.pickRetry('z1')).toBeNull();
  });

  it('reports a snapshot that later changes do not alter', () => {
    const b = createTwoTierBalancer(zones, { startHealthy: true });
    b.markUnhealthy('a2');
    b.pick();
    const snap = b.snapshot();
    expect(snap).toEqual({
      nextZone: 'z2',
      zones: [
        {
          name: 'z1',
          healthy: 1,
          instances: [
            { id: 'a1', healthy: true },
            { id: 'a2', healthy: false },
          ],
        },
        {
          name: 'z2',
          healthy: 3,
          instances: [
            { id: 'b1', healthy: true },
            { id: 'b2', healthy: true },
            { id: 'b3', healthy: true },
          ],
        },
      ],
    });
    b.markUnhealthy('a1');
    expect(snap.zones[0]?.healthy).toBe(1);
  });

  it('rejects duplicate names, no zones, and health reports for unknown instances', () => {
    expect(() => createTwoTierBalancer([])).toThrow('at least one zone');
    expect(() => createTwoTierBalancer([...zones, { name: 'z1', instances: [] }])).toThrow(
      'zone z1 is listed twice',
    );
    expect(() => createTwoTierBalancer([{ name: 'x', instances: ['i', 'i'] }])).toThrow('instance i');
    expect(() => createTwoTierBalancer(zones).markHealthy('nope')).toThrow('unknown instance nope');
  });
});
