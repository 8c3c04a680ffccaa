import { describe, expect, it } from 'vitest';
import type { ComponentStatus } from '../../cluster/components.js';
import { collectBreakers } from '../status.js';
import { renderBreakersTable } from './cluster-view.js';

const component = (name: string, engine: string, state = 'healthy'): ComponentStatus =>
  ({ name, engine, state, zone: 'a', endpoint: `http://127.0.0.1/${name}` }) as unknown as ComponentStatus;

const snapshot = {
  name: 'users',
  breaker: { state: 'open', reason: 'failures' },
  isolated: false,
  window: { requests: 9, failures: 6 },
  counts: { successes: 3, failures: 6, timeouts: 0, rejections: 0, shortCircuits: 4, fallbacks: 1 },
  inFlight: 0,
  limits: { maxConcurrent: 64 },
};

describe('collectBreakers', () => {
  it('asks every healthy service component for its status and reads its breakers', async () => {
    const asked: string[] = [];
    const rows = await collectBreakers(
      [
        component('gateway-a-1', 'service'),
        component('catalog-a-1', 'service'),
        component('users-a-1', 'service', 'failed'),
        component('kafka', 'kafka'),
      ],
      async (url) => {
        asked.push(url);
        if (url.includes('catalog')) throw new Error('ECONNREFUSED');
        return { service: 'gateway', status: { breakers: [snapshot] } };
      },
    );
    expect(asked).toEqual(['http://127.0.0.1/gateway-a-1/status', 'http://127.0.0.1/catalog-a-1/status']);
    expect(rows).toEqual([
      { component: 'gateway-a-1', zone: 'a', service: 'gateway', breakers: [snapshot] },
      { component: 'catalog-a-1', zone: 'a', service: null, breakers: [], error: 'ECONNREFUSED' },
    ]);
    const table = renderBreakersTable(rows);
    expect(table).toContain('DEPENDENCY');
    expect(table).toMatch(/gateway-a-1\s+users\s+\S*open\S*\s+9\/6\s+3\/6\/0\/0\/4\/1\s+0\/64/);
    expect(table).toContain('ECONNREFUSED');
  });

  it('says so when no service has a breaker yet', () => {
    expect(renderBreakersTable([])).toMatch(/no breakers/);
  });
});
