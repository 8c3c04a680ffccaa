import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../testing/fake-clock.js';
import { bulkhead } from './bulkhead.js';
import { circuitBreaker } from './circuit-breaker.js';
import { BulkheadRejectedError, TimeoutError } from './errors.js';
import { classifyFailure, type Failure, fallback } from './fallback.js';
import { wrap } from './policy.js';
import { timeout } from './timeout.js';

describe('fallback', () => {
  it('passes a real result through, not degraded', async () => {
    const fb = fallback<string[]>([]);
    await expect(fb.executeWithOutcome(async () => ['a'])).resolves.toEqual({
      degraded: false,
      value: ['a'],
    });
  });

  it('turns a failure into the fallback value, marked degraded with the reason', async () => {
    const fb = fallback<string[]>([]);
    const served: Failure[] = [];
    fb.onFallback((f) => served.push(f));
    const error = new Error('ECONNREFUSED');
    const outcome = await fb.executeWithOutcome(async () => Promise.reject(error));
    expect(outcome).toEqual({ degraded: true, value: [], reason: 'error', error });
    expect(served).toEqual([{ reason: 'error', error }]);
    await expect(fb.execute(async () => Promise.reject(error))).resolves.toEqual([]);
  });

  it('computes the fallback from the failure when given a function', async () => {
    const fb = fallback((f: Failure) => ({ rows: [] as string[], note: `served stale (${f.reason})` }));
    const outcome = await fb.executeWithOutcome(async () => Promise.reject(new TimeoutError(50)));
    expect(outcome.value).toEqual({ rows: [], note: 'served stale (timeout)' });
  });

  it('replaces the rejections of the policies inside it', async () => {
    const clock = new FakeClock();
    const fb = fallback('cached');
    const slow = wrap(fb, timeout(100, { clock }));
    const p = slow.execute(() => new Promise<string>(() => {}));
    await clock.advance(100);
    await expect(p).resolves.toBe('cached');

    const full = bulkhead({ maxConcurrent: 1 });
    void full.execute(() => new Promise(() => {}));
    const rejected = await fb.executeWithOutcome((s) => full.execute(async () => 'live', s));
    expect(rejected).toMatchObject({ degraded: true, value: 'cached', reason: 'bulkhead-rejected' });

    const open = circuitBreaker({ clock });
    open.isolate();
    const shorted = await fb.executeWithOutcome((s) => open.execute(async () => 'live', s));
    expect(shorted).toMatchObject({ degraded: true, reason: 'circuit-open' });
  });

  it("rethrows the caller's abort instead of answering nobody", async () => {
    const fb = fallback('cached');
    const caller = new AbortController();
    caller.abort(new Error('user left'));
    await expect(fb.execute(async () => 'live', caller.signal)).rejects.toThrow('user left');

    const later = new AbortController();
    const p = fb.execute(
      (s) => new Promise<string>((_, reject) => s.addEventListener('abort', () => reject(s.reason))),
      later.signal,
    );
    later.abort(new Error('user left later'));
    await expect(p).rejects.toThrow('user left later');
  });

  it('lets an error thrown by the fallback function propagate', async () => {
    const fb = fallback((): string => {
      throw new Error('no cache either');
    });
    await expect(fb.execute(async () => Promise.reject(new Error('down')))).rejects.toThrow(
      'no cache either',
    );
  });

  it('classifies failures by the protection that gave up', () => {
    expect(classifyFailure(new TimeoutError(1))).toBe('timeout');
    expect(classifyFailure(new BulkheadRejectedError(1, 0))).toBe('bulkhead-rejected');
    expect(classifyFailure(new Error('x'))).toBe('error');
    expect(classifyFailure('a string')).toBe('error');
  });
});
