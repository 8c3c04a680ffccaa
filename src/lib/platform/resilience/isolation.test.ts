import { describe, expect, it } from 'vitest';
import { FakeClock, flushPromises } from '../../../testing/fake-clock.js';
import { BrokenCircuitError, TimeoutError } from './errors.js';
import { isolation } from './isolation.js';

const hang = () => new Promise<never>(() => {});
const boom = async (): Promise<never> => Promise.reject(new Error('boom'));

function recommendations(clock: FakeClock) {
  return isolation('recommendations', {
    clock,
    timeoutMs: 200,
    maxConcurrent: 2,
    maxQueue: 0,
    breaker: { minimumRequests: 4, failureThreshold: { ratio: 0.5 }, halfOpenAfterMs: 1_000 },
    fallback: (f) => ({ titles: [] as string[], why: f.reason }),
  });
}

describe('isolation', () => {
  it('counts every kind of outcome and shows them in a JSON-able snapshot', async () => {
    const clock = new FakeClock(5_000);
    const cmd = recommendations(clock);
    await cmd.execute(async () => ({ titles: ['a'], why: 'live' }));
    await cmd.execute(boom);

    const stuck = [cmd.executeWithOutcome(hang), cmd.executeWithOutcome(hang)];
    expect(cmd.snapshot().inFlight).toBe(2);
    const rejected = await cmd.executeWithOutcome(async () => ({ titles: ['b'], why: 'live' }));
    expect(rejected).toMatchObject({ degraded: true, reason: 'bulkhead-rejected' });
    await clock.advance(200);
    for (const o of await Promise.all(stuck)) expect(o).toMatchObject({ degraded: true, reason: 'timeout' });

    // 4 counted requests (success, failure, 2 timeouts), 3 failed: the circuit opened
    expect(cmd.breaker.state.state).toBe('open');
    const shorted = await cmd.executeWithOutcome(async () => ({ titles: ['c'], why: 'live' }));
    expect(shorted).toMatchObject({ degraded: true, value: { titles: [], why: 'circuit-open' } });

    const caller = new AbortController();
    caller.abort(new Error('client went away'));
    await expect(cmd.execute(async () => ({ titles: [], why: '' }), caller.signal)).rejects.toThrow(
      'client went away',
    );

    const snap = cmd.snapshot();
    expect(snap).toEqual({
      name: 'recommendations',
      breaker: {
        state: 'open',
        openedAt: 5_200,
        reason: { kind: 'failures', failures: 3, requests: 4, lastError: 'call timed out after 200 ms' },
      },
      isolated: false,
      window: { requests: 0, failures: 0 },
      counts: {
        successes: 1,
        failures: 1,
        timeouts: 2,
        rejections: 1,
        shortCircuits: 1,
        fallbacks: 5,
        cancellations: 1,
      },
      inFlight: 0,
      queued: 0,
      limits: {
        timeoutMs: 200,
        maxConcurrent: 2,
        maxQueue: 0,
        failureThreshold: { ratio: 0.5 },
        minimumRequests: 4,
        windowMs: 10_000,
        halfOpenAfterMs: 1_000,
        halfOpenMaxCalls: 1,
      },
    });
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it('serves the fallback without calling the dependency while isolated, until released', async () => {
    const clock = new FakeClock();
    const cmd = recommendations(clock);
    let calls = 0;
    const live = async () => {
      calls++;
      return { titles: ['x'], why: 'live' };
    };
    const hold = cmd.isolate();
    expect(cmd.snapshot()).toMatchObject({
      isolated: true,
      breaker: { state: 'open', reason: { kind: 'isolated' } },
    });
    await clock.advance(60_000);
    const outcome = await cmd.executeWithOutcome(live);
    expect(outcome).toMatchObject({ degraded: true, reason: 'circuit-open' });
    expect(outcome.degraded && outcome.error).toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(0);
    hold.release();
    await expect(cmd.executeWithOutcome(live)).resolves.toEqual({
      degraded: false,
      value: { titles: ['x'], why: 'live' },
    });
  });

  it('serves a fallback given with the call, and counts it with the others', async () => {
    const cmd = isolation('recommendations', { clock: new FakeClock() });
    const outcome = await cmd.executeWithOutcome(
      async () => {
        throw new Error('down');
      },
      undefined,
      (failure) => ({ top: 10, reason: failure.reason }),
    );
    expect(outcome).toMatchObject({ degraded: true, value: { top: 10, reason: 'error' } });
    expect(cmd.snapshot().counts).toMatchObject({ failures: 1, fallbacks: 1 });
    await expect(
      cmd.executeWithOutcome(
        async () => 'live',
        undefined,
        () => 'top',
      ),
    ).resolves.toEqual({
      degraded: false,
      value: 'live',
    });
  });

  it('does not open the breaker because the bulkhead was full', async () => {
    const clock = new FakeClock();
    const cmd = isolation('search', { clock, maxConcurrent: 1, breaker: { minimumRequests: 1 } });
    const running = cmd.execute(() => new Promise<string>((r) => clock.setTimeout(() => r('done'), 50)));
    for (let i = 0; i < 5; i++) await expect(cmd.execute(async () => 'x')).rejects.toThrow(/bulkhead full/);
    await clock.advance(50);
    await expect(running).resolves.toBe('done');
    expect(cmd.snapshot()).toMatchObject({
      breaker: { state: 'closed' },
      counts: { rejections: 5, successes: 1 },
    });
  });

  it('rejects without a fallback, still counting', async () => {
    const clock = new FakeClock();
    const cmd = isolation('mysql', { clock, timeoutMs: 10 });
    await expect(cmd.execute(boom)).rejects.toThrow('boom');
    const late = cmd.execute(hang);
    const settled = late.catch((e: unknown) => e);
    await clock.advance(10);
    expect(await settled).toBeInstanceOf(TimeoutError);
    expect(cmd.snapshot().counts).toMatchObject({ failures: 1, timeouts: 1, fallbacks: 0 });
  });

  it("counts a nested dependency's timeout as a failure of the outer one, not its own timeout", async () => {
    const clock = new FakeClock();
    const inner = isolation('cassandra', { clock, timeoutMs: 10 });
    const outer = isolation('viewing-history', { clock, timeoutMs: 1_000, fallback: () => 'empty' });
    const p = outer.execute((s) => inner.execute(hang, s));
    await clock.advance(10);
    await expect(p).resolves.toBe('empty');
    expect(inner.snapshot().counts.timeouts).toBe(1);
    expect(outer.snapshot().counts).toMatchObject({ timeouts: 0, failures: 1, fallbacks: 1 });
    await flushPromises();
    expect(clock.pendingTimers).toBe(0);
  });
});
