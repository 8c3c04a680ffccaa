import { describe, expect, it } from 'vitest';
import { FlixError } from '../core/errors.js';
import { assignPorts, autoRangeFor, type PortEnvironment } from './ports.js';

const busy = (...ports: number[]): PortEnvironment => ({ isFree: async (p) => !ports.includes(p) });
const range = { rangeStart: 30000, rangeEnd: 30010 };

describe('port assignment', () => {
  it('assigns consecutive free ports to auto requests', async () => {
    const out = await assignPorts(
      [
        { component: 'kafka', port: 'broker' },
        { component: 'kafka', port: 'controller' },
        { component: 'edge-a', port: 'http' },
      ],
      busy(30001),
      range,
    );
    expect(out).toEqual({ kafka: { broker: 30000, controller: 30002 }, 'edge-a': { http: 30003 } });
  });

  it('keeps pinned ports and never hands them to an auto request', async () => {
    const out = await assignPorts(
      [
        { component: 'a', port: 'x' },
        { component: 'b', port: 'y', pinned: 30000 },
      ],
      busy(),
      range,
    );
    expect(out).toEqual({ a: { x: 30001 }, b: { y: 30000 } });
  });

  it('says which component wants a busy pinned port', async () => {
    const err = await assignPorts(
      [{ component: 'mysql', port: 'mysql', pinned: 3306 }],
      busy(3306),
      range,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(FlixError);
    expect((err as FlixError).exitCode).toBe(5);
    expect((err as FlixError).message).toBe('port 3306 (mysql mysql) is already in use');
  });

  it('refuses the same pinned port twice', async () => {
    const err = await assignPorts(
      [
        { component: 'a', port: 'x', pinned: 30005 },
        { component: 'b', port: 'y', pinned: 30005 },
      ],
      busy(),
      range,
    ).catch((e) => e);
    expect((err as FlixError).exitCode).toBe(3);
  });

  it('reuses last time\u2019s ports while they are free, and moves only the one that is taken', async () => {
    const previous = { kafka: { broker: 30007 }, cassandra: { native: 30008 } };
    const out = await assignPorts(
      [
        { component: 'kafka', port: 'broker' },
        { component: 'cassandra', port: 'native' },
      ],
      busy(30008),
      { ...range, previous },
    );
    expect(out.kafka?.broker).toBe(30007);
    expect(out.cassandra?.native).toBe(30000);
  });

  it('does not give a new component a port another one had last time', async () => {
    const previous = { kafka: { broker: 30000 } };
    const out = await assignPorts(
      [
        { component: 'memcached-a', port: 'memcached' },
        { component: 'kafka', port: 'broker' },
      ],
      busy(),
      { ...range, previous },
    );
    expect(out).toEqual({ 'memcached-a': { memcached: 30001 }, kafka: { broker: 30000 } });
  });

  it('fails clearly when the range is exhausted', async () => {
    const err = await assignPorts([{ component: 'a', port: 'x' }], busy(30000, 30001), {
      rangeStart: 30000,
      rangeEnd: 30001,
    }).catch((e) => e);
    expect((err as FlixError).exitCode).toBe(5);
  });

  it('gives different cluster names different starting points', () => {
    expect(autoRangeFor('default').rangeStart).not.toBe(autoRangeFor('ci').rangeStart);
    expect(autoRangeFor('default')).toEqual(autoRangeFor('default'));
    for (const name of ['default', 'ci', 'a', 'bench-play', 'x'.repeat(40)]) {
      const r = autoRangeFor(name);
      // room for a large cluster's ports, all below the ephemeral range
      expect(r.rangeEnd - r.rangeStart).toBeGreaterThanOrEqual(200);
      expect(r.rangeEnd).toBeLessThan(32768);
    }
  });
});
