import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../testing/fake-clock.js';
import { Registry } from './registry.js';

const inst = (id: string, service = 'catalog', zone = 'a') => ({
  id,
  service,
  zone,
  url: `http://127.0.0.1/${id}`,
  canary: false,
});

describe('Registry', () => {
  it('lists registered instances of a service', () => {
    const r = new Registry(6000, new FakeClock());
    r.register(inst('catalog-b-1', 'catalog', 'b'));
    r.register(inst('catalog-a-1'));
    r.register(inst('users-a-1', 'users'));
    expect(r.list('catalog').map((i) => i.id)).toEqual(['catalog-a-1', 'catalog-b-1']);
    expect(r.list().length).toBe(3);
  });

  it('evicts an instance whose lease ran out, and keeps one that heartbeats', async () => {
    const clock = new FakeClock();
    const r = new Registry(6000, clock);
    r.register(inst('a1'));
    r.register(inst('a2'));
    await clock.advance(4000);
    expect(r.heartbeat('a1')).toBe(true);
    await clock.advance(3000);
    expect(r.list().map((i) => i.id)).toEqual(['a1']);
    expect(r.heartbeat('a2')).toBe(false);
  });

  it('forgets a deregistered instance at once', () => {
    const r = new Registry(6000, new FakeClock());
    r.register(inst('a1'));
    expect(r.deregister('a1')).toBe(true);
    expect(r.list()).toEqual([]);
  });
});
