import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../testing/fake-clock.js';
import { FilterChain } from './chain.js';
import { createContext } from './filter.js';
import { ClusterRateLimiter, rateLimitFilter, rateLimitKey, TokenBucketLimiter } from './rate-limit.js';

describe('TokenBucketLimiter', () => {
  it('allows a burst, refuses with the right Retry-After, and refills with time', async () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketLimiter({ capacity: 3, refillPerSecond: 0.5, clock });
    expect([1, 2, 3].map(() => limiter.take('user:alice'))).toEqual([
      { allowed: true, retryAfterSeconds: 0, remaining: 2 },
      { allowed: true, retryAfterSeconds: 0, remaining: 1 },
      { allowed: true, retryAfterSeconds: 0, remaining: 0 },
    ]);
    expect(limiter.take('user:alice')).toEqual({ allowed: false, retryAfterSeconds: 2, remaining: 0 });

    await clock.advance(1000); // half a token back: 1 s still to wait
    expect(limiter.take('user:alice')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    await clock.advance(1000);
    expect(limiter.take('user:alice')).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 0 });

    await clock.advance(60_000); // never more than capacity
    expect(limiter.take('user:alice')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps keys apart', () => {
    const limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 1, clock: new FakeClock() });
    expect(limiter.take('ip:10.0.0.1').allowed).toBe(true);
    expect(limiter.take('ip:10.0.0.1').allowed).toBe(false);
    expect(limiter.take('ip:10.0.0.2').allowed).toBe(true);
  });

  it('bounds memory: drops the least recently used key past maxKeys, and full buckets on sweep', async () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 1, maxKeys: 2, clock });
    limiter.take('a');
    limiter.take('b');
    limiter.take('a'); // a is now the most recently used
    limiter.take('c'); // evicts b
    expect(limiter.size).toBe(2);
    expect(limiter.take('a').allowed).toBe(false); // a kept its (empty) bucket
    expect(limiter.take('b').allowed).toBe(true); // b starts afresh

    await clock.advance(1000);
    expect(limiter.sweep()).toBe(2);
    expect(limiter.size).toBe(0);
  });

  it('refuses bad settings and costs', () => {
    expect(() => new TokenBucketLimiter({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ capacity: 1, refillPerSecond: 1, maxKeys: 0 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ capacity: 2, refillPerSecond: 1 }).take('k', 3)).toThrow(
      RangeError,
    );
  });
});

describe('rateLimitFilter', () => {
  it('keys by user once authenticated, else by IP, and answers 429 with Retry-After', async () => {
    const limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 0.25, clock: new FakeClock() });
    const chain = new FilterChain([rateLimitFilter({ limiter })]);
    const anon = () => createContext({ method: 'GET', path: '/', clientIp: '10.0.0.9' });
    expect(rateLimitKey(anon())).toBe('ip:10.0.0.9');
    const alice = anon();
    alice.user = { id: 'alice' };
    expect(rateLimitKey(alice)).toBe('user:alice');

    expect((await chain.run(anon())).response).toBeUndefined();
    const limited = await chain.run(anon());
    expect(limited.response?.status).toBe(429);
    expect(limited.response?.headers['retry-after']).toBe('4');
    expect((await chain.run(alice)).response).toBeUndefined();
  });
});

describe('ClusterRateLimiter', () => {
  /** Counters as the shared store keeps them: one count per key, whichever gateway asks. */
  function sharedCounts(up = { value: true }) {
    const counts = new Map<string, number>();
    return {
      up,
      counter: {
        async count(key: string) {
          if (!up.value) return null;
          const n = (counts.get(key) ?? 0) + 1;
          counts.set(key, n);
          return n;
        },
      },
    };
  }

  /** A gateway's limiter: the shared counters, and its own bucket of the same size and rate. */
  function gatewayLimiter(
    counter: { count(key: string): Promise<number | null> },
    capacity: number,
    refillPerSecond: number,
    clock: FakeClock,
  ) {
    const local = new TokenBucketLimiter({ capacity, refillPerSecond, clock });
    return new ClusterRateLimiter({ capacity, refillPerSecond, counter, local, clock });
  }

  it('holds the limit across gateways: two gateways share one window of `burst` requests', async () => {
    const clock = new FakeClock(10_000);
    const { counter } = sharedCounts();
    const gateway = () => gatewayLimiter(counter, 10, 5, clock);
    const [a, b] = [gateway(), gateway()];
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await (i % 2 ? a : b).take('user:u1'));
    expect(results.every((r) => r.allowed)).toBe(true);
    const over = await a.take('user:u1');
    // the window is burst / rps = 2 s long; it started at 10 s, so 2 s are left
    expect(over).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    await clock.advance(2000);
    expect((await b.take('user:u1')).allowed).toBe(true);
  });

  it('limits alone with its own bucket while the shared counters cannot be asked', async () => {
    const clock = new FakeClock(0);
    const { counter, up } = sharedCounts();
    up.value = false;
    const limiter = gatewayLimiter(counter, 2, 1, clock);
    expect([(await limiter.take('k')).allowed, (await limiter.take('k')).allowed]).toEqual([true, true]);
    expect((await limiter.take('k')).allowed).toBe(false);
    expect(limiter.counts).toEqual({ shared: 0, local: 3 });
  });

  it('a count that cannot be asked mid-burst does not hand out a fresh burst', async () => {
    const clock = new FakeClock(10_000);
    const { counter, up } = sharedCounts();
    const limiter = gatewayLimiter(counter, 4, 2, clock);
    for (let i = 0; i < 4; i++) expect((await limiter.take('k')).allowed).toBe(true);
    up.value = false; // one slow answer: this gateway already spent its bucket on the burst
    expect((await limiter.take('k')).allowed).toBe(false);
    expect(limiter.counts).toEqual({ shared: 4, local: 1 });
  });
});
