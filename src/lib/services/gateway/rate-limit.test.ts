import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../testing/fake-clock.js';
import { FilterChain } from './chain.js';
import { createContext } from './filter.js';
import { rateLimitFilter, rateLimitKey, TokenBucketLimiter } from './rate-limit.js';

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
