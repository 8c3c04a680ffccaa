import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../testing/fake-clock.js';
import { bulkhead } from './bulkhead.js';
import { TimeoutError } from './errors.js';
import { fallback } from './fallback.js';
import { type Policy, type Work, wrap } from './policy.js';
import { timeout } from './timeout.js';

/** A policy that logs when a call enters and leaves it. */
function tracer(name: string, log: string[]): Policy {
  return {
    async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
      log.push(`${name}>`);
      try {
        return await fn(signal ?? new AbortController().signal);
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('wrap', () => {
  it('composes outermost-first', async () => {
    const log: string[] = [];
    const p = wrap(tracer('a', log), tracer('b', log), tracer('c', log));
    await expect(
      p.execute(async () => {
        log.push('fn');
        return 7;
      }),
    ).resolves.toBe(7);
    expect(log).toEqual(['a>', 'b>', 'c>', 'fn', '<c', '<b', '<a']);
  });

  it("hands the caller's signal down to fn, and runs fn as is with no policies", async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    await wrap(tracer('a', []), wrap()).execute(async (s) => {
      seen = s;
    }, caller.signal);
    expect(seen).toBe(caller.signal);
    await expect(
      wrap().execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('order matters: a timeout outside the bulkhead also bounds the wait in its queue', async () => {
    const clock = new FakeClock();
    const hang = () => new Promise<string>(() => {});
    const b1 = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const outer = wrap(timeout(100, { clock }), b1);
    void outer.execute(hang).catch(() => {});
    const queuedOuter = outer.execute(async () => 'ran').catch((e: unknown) => e);

    const b2 = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const inner = wrap(b2, timeout(100, { clock }));
    void inner.execute(hang).catch(() => {});
    const queuedInner = inner.execute(async () => 'ran').catch((e: unknown) => e);

    await clock.advance(100);
    // timeout(bulkhead): the waiting call times out too; the stuck one keeps its slot
    expect(await queuedOuter).toBeInstanceOf(TimeoutError);
    expect(b1.inFlight).toBe(1);
    // bulkhead(timeout): the stuck call times out, frees its slot and the queued one runs
    expect(await queuedInner).toBe('ran');
    expect(b2.inFlight).toBe(0);
  });

  it("types the result as the work's result or any fallback's value", async () => {
    const clock = new FakeClock();
    const plain: Promise<number> = wrap(timeout(10, { clock }), bulkhead({ maxConcurrent: 1 })).execute(
      async () => 1,
    );
    const withFallback: Promise<number | null> = wrap(fallback(null), timeout(10, { clock })).execute(
      async () => 1,
    );
    await expect(plain).resolves.toBe(1);
    await expect(withFallback).resolves.toBe(1);
  });
});
