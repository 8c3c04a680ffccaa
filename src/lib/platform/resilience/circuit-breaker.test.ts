import { describe, expect, it } from 'vitest';
import { FakeClock, flushPromises } from '../../../testing/fake-clock.js';
import { type BreakerState, type CircuitBreakerOptions, circuitBreaker } from './circuit-breaker.js';
import { BrokenCircuitError } from './errors.js';

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const breaker = circuitBreaker({
    name: 'catalog',
    failureThreshold: { ratio: 0.5 },
    minimumRequests: 4,
    windowMs: 10_000,
    halfOpenAfterMs: 5_000,
    clock,
    ...options,
  });
  const states: BreakerState['state'][] = [];
  breaker.onStateChange((s) => states.push(s.state));
  let calls = 0;
  const ok = () =>
    breaker.execute(async () => {
      calls++;
      return 'ok';
    });
  const fail = (message = 'boom') =>
    breaker
      .execute(async () => {
        calls++;
        throw new Error(message);
      })
      .catch((e: unknown) => e);
  return { clock, breaker, states, ok, fail, calls: () => calls };
}

describe('circuitBreaker', () => {
  it('stays closed while the window holds fewer than minimumRequests, however many failed', async () => {
    const { breaker, fail } = setup();
    for (let i = 0; i < 3; i++) await fail();
    expect(breaker.state).toEqual({ state: 'closed' });
    expect(breaker.window).toEqual({ requests: 3, failures: 3 });
  });

  it('opens when the failure ratio is reached with enough requests, saying why', async () => {
    const { breaker, ok, fail, clock, states } = setup();
    await ok();
    await ok();
    await fail();
    expect(breaker.state.state).toBe('closed'); // 1 of 3, too few requests anyway
    await fail('connection refused');
    expect(breaker.state).toEqual({
      state: 'open',
      openedAt: clock.now(),
      reason: { kind: 'failures', failures: 2, requests: 4, lastError: 'connection refused' },
    });
    expect(states).toEqual(['open']);
  });

  it('stays closed while the ratio is below the threshold', async () => {
    const { breaker, ok, fail } = setup();
    for (let i = 0; i < 3; i++) await ok();
    await fail();
    await fail();
    expect(breaker.window).toEqual({ requests: 5, failures: 2 });
    expect(breaker.state.state).toBe('closed');
  });

  it('can open on a count of failures instead of a ratio', async () => {
    const { breaker, ok, fail } = setup({ failureThreshold: { count: 3 }, minimumRequests: 1 });
    for (let i = 0; i < 10; i++) await ok();
    await fail();
    await fail();
    expect(breaker.state.state).toBe('closed');
    await fail();
    expect(breaker.state.state).toBe('open');
  });

  it('only counts failures within the rolling window', async () => {
    const { breaker, fail, clock } = setup();
    await fail();
    await fail();
    await fail();
    await clock.advance(11_000);
    await fail();
    expect(breaker.window).toEqual({ requests: 1, failures: 1 });
    expect(breaker.state.state).toBe('closed');
  });

  it('short-circuits while open without calling fn, and reports each rejection', async () => {
    const { breaker, fail, ok, clock, calls } = setup({ minimumRequests: 1, failureThreshold: { count: 1 } });
    const rejected: BrokenCircuitError[] = [];
    breaker.onReject((e) => rejected.push(e));
    await fail('timeout talking to mysql');
    const before = calls();
    await clock.advance(4_999);
    const error = await ok().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect((error as BrokenCircuitError).reason).toBe('failures');
    expect((error as Error).message).toBe(
      "circuit 'catalog' is open (1 of 1 calls failed; last error: timeout talking to mysql)",
    );
    expect(calls()).toBe(before);
    expect(rejected).toEqual([error]);
  });

  it('goes half-open after the delay and closes with a fresh window on a successful trial', async () => {
    const { breaker, fail, ok, clock, states } = setup({ minimumRequests: 1 });
    await fail();
    await clock.advance(5_000);
    expect(breaker.state.state).toBe('open'); // idle: the transition happens on the next call
    await expect(ok()).resolves.toBe('ok');
    expect(states).toEqual(['open', 'half-open', 'closed']);
    expect(breaker.state).toEqual({ state: 'closed' });
    expect(breaker.window).toEqual({ requests: 0, failures: 0 });
  });

  it('reopens on a failed trial and waits the whole delay again', async () => {
    const { breaker, fail, ok, clock, states } = setup({ minimumRequests: 1 });
    await fail();
    await clock.advance(5_000);
    await fail('still down');
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(breaker.state).toEqual({
      state: 'open',
      openedAt: clock.now(),
      reason: { kind: 'trial-failed', error: 'still down' },
    });
    await clock.advance(4_000);
    await expect(ok()).rejects.toThrow(
      "circuit 'catalog' is open (its trial call failed; last error: still down)",
    );
    await clock.advance(1_000);
    await expect(ok()).resolves.toBe('ok');
  });

  it('lets only halfOpenMaxCalls trials run at once', async () => {
    const { breaker, fail, clock } = setup({ minimumRequests: 1, halfOpenMaxCalls: 2 });
    await fail();
    await clock.advance(5_000);
    const finish: (() => void)[] = [];
    const slow = () => breaker.execute(() => new Promise<string>((r) => finish.push(() => r('late'))));
    const trials = [slow(), slow()];
    const third = await slow().catch((e: unknown) => e);
    expect(third).toBeInstanceOf(BrokenCircuitError);
    expect((third as BrokenCircuitError).reason).toBe('half-open-busy');
    for (const f of finish) f();
    await expect(Promise.all(trials)).resolves.toEqual(['late', 'late']);
    expect(breaker.state.state).toBe('closed');
  });

  it('isolate() holds it open past the delay until every hold is released', async () => {
    const { breaker, ok, clock, states, calls } = setup();
    const first = breaker.isolate();
    const second = breaker.isolate();
    expect(breaker.isolated).toBe(true);
    expect(breaker.state).toEqual({ state: 'open', openedAt: clock.now(), reason: { kind: 'isolated' } });
    await clock.advance(60_000);
    const error = await ok().catch((e: unknown) => e);
    expect((error as BrokenCircuitError).reason).toBe('isolated');
    expect((error as Error).message).toBe("circuit 'catalog' is isolated");
    first.release();
    first.release(); // idempotent: does not release the second hold
    await expect(ok()).rejects.toBeInstanceOf(BrokenCircuitError);
    second.release();
    expect(breaker.isolated).toBe(false);
    await expect(ok()).resolves.toBe('ok');
    expect(calls()).toBe(1);
    expect(states).toEqual(['open', 'closed']);
  });

  it('ignores the outcome of a trial that was running when the circuit was isolated', async () => {
    const { breaker, fail, clock } = setup({ minimumRequests: 1 });
    await fail();
    await clock.advance(5_000);
    let finish = () => {};
    const trial = breaker.execute(() => new Promise<string>((r) => (finish = () => r('ok'))));
    const hold = breaker.isolate();
    finish();
    await trial;
    expect(breaker.state.state).toBe('open');
    hold.release();
    expect(breaker.state.state).toBe('closed');
  });

  it("does not count the caller's abort or errors isFailure declines", async () => {
    const { breaker, clock } = setup({
      minimumRequests: 1,
      isFailure: (e) => !(e instanceof Error && e.message === 'not found'),
    });
    const failures: unknown[] = [];
    breaker.onFailure((f) => failures.push(f.error));
    const caller = new AbortController();
    const p = breaker.execute(
      (signal) =>
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      caller.signal,
    );
    caller.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    await expect(breaker.execute(async () => Promise.reject(new Error('not found')))).rejects.toThrow();
    expect(breaker.window).toEqual({ requests: 0, failures: 0 });
    expect(breaker.state.state).toBe('closed');
    expect(failures).toEqual([]);
    await flushPromises();
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports successes and failures with their durations', async () => {
    const { breaker, clock } = setup();
    const seen: string[] = [];
    breaker.onSuccess((s) => seen.push(`ok ${s.durationMs}`));
    breaker.onFailure((f) => seen.push(`fail ${f.durationMs} ${(f.error as Error).message}`));
    const slow = breaker.execute(async () => {
      await new Promise((r) => clock.setTimeout(() => r(undefined), 250));
      return 1;
    });
    await clock.advance(250);
    await slow;
    await breaker.execute(async () => Promise.reject(new Error('x'))).catch(() => {});
    expect(seen).toEqual(['ok 250', 'fail 0 x']);
  });

  it('refuses impossible settings', () => {
    expect(() => circuitBreaker({ failureThreshold: { ratio: 0 } })).toThrow(/ratio/);
    expect(() => circuitBreaker({ failureThreshold: { ratio: 1.5 } })).toThrow(/ratio/);
    expect(() => circuitBreaker({ failureThreshold: { count: 0 } })).toThrow(/count/);
    expect(() => circuitBreaker({ minimumRequests: 0 })).toThrow(/minimumRequests/);
    expect(() => circuitBreaker({ halfOpenMaxCalls: 1.5 })).toThrow(/halfOpenMaxCalls/);
    expect(() => circuitBreaker({ halfOpenAfterMs: -1 })).toThrow(/halfOpenAfterMs/);
  });
});
