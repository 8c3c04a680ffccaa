import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../testing/fake-clock.js';
import { TimeoutError } from './errors.js';
import { timeout } from './timeout.js';

/** A call that never settles by itself, exposing the signal it was given. */
function hanging() {
  const seen: { signal?: AbortSignal } = {};
  const fn = (signal: AbortSignal) => {
    seen.signal = signal;
    return new Promise<never>(() => {});
  };
  return { fn, seen };
}

describe('timeout', () => {
  it('returns a result that arrives in time and clears its timer', async () => {
    const clock = new FakeClock();
    const t = timeout(100, { clock });
    const p = t.execute(async () => 'ok');
    await expect(p).resolves.toBe('ok');
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts the signal with a TimeoutError and rejects at the deadline, even if fn ignores it', async () => {
    const clock = new FakeClock();
    const t = timeout(100, { clock });
    const timeouts: TimeoutError[] = [];
    t.onTimeout((e) => timeouts.push(e));
    const { fn, seen } = hanging();
    const p = t.execute(fn);
    const settled = p.catch((e: unknown) => e);
    await clock.advance(99);
    expect(seen.signal?.aborted).toBe(false);
    await clock.advance(1);
    const error = await settled;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(100);
    expect(seen.signal?.aborted).toBe(true);
    expect(seen.signal?.reason).toBe(error);
    expect(timeouts).toEqual([error]);
  });

  it("passes the caller's abort on and rejects with the caller's reason, not a timeout", async () => {
    const clock = new FakeClock();
    const t = timeout(100, { clock });
    const timeouts: unknown[] = [];
    t.onTimeout((e) => timeouts.push(e));
    const caller = new AbortController();
    const { fn, seen } = hanging();
    const p = t.execute(fn, caller.signal).catch((e: unknown) => e);
    caller.abort(new Error('user pressed ^C'));
    expect(await p).toEqual(new Error('user pressed ^C'));
    expect(seen.signal?.aborted).toBe(true);
    await clock.advance(200);
    expect(timeouts).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not start a call whose caller already gave up', async () => {
    const t = timeout(100, { clock: new FakeClock() });
    let ran = false;
    await expect(
      t.execute(
        async () => {
          ran = true;
        },
        AbortSignal.abort(new Error('gone')),
      ),
    ).rejects.toThrow('gone');
    expect(ran).toBe(false);
  });

  it('turns a synchronous throw into a rejection and passes errors through', async () => {
    const t = timeout(100, { clock: new FakeClock() });
    await expect(
      t.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(t.execute(async () => Promise.reject(new Error('async')))).rejects.toThrow('async');
  });

  it('refuses a timeout that is not a positive number of ms', () => {
    expect(() => timeout(0)).toThrow(RangeError);
    expect(() => timeout(Number.NaN)).toThrow(RangeError);
    expect(() => timeout(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
