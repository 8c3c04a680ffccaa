import { describe, expect, it } from 'vitest';
import { createContext, type RequestContext } from '../filter.js';
import { authFilter, needsToken, type Verdict, verdictOf } from './auth.js';
import { TokenCache } from './token-cache.js';

function ctx(authorization?: string, path = '/api/titles'): RequestContext {
  return createContext({
    method: 'GET',
    path,
    clientIp: '127.0.0.1',
    headers: authorization ? { authorization } : {},
  });
}
const code = (c: RequestContext) => JSON.parse(c.response?.body ?? '{}').error?.code;

/** An auth filter whose verification is a scripted function; counts the calls. */
function setup(answer: (token: string) => Verdict | Promise<Verdict>) {
  let now = 1_000_000;
  const calls: string[] = [];
  const cache = new TokenCache();
  const filter = authFilter({
    cache,
    now: () => now,
    verify: async (token) => {
      calls.push(token);
      return answer(token);
    },
  });
  return { filter, calls, cache, advance: (ms: number) => (now += ms), now: () => now };
}

describe('needsToken', () => {
  it('covers everything under /api except /api/health', () => {
    expect(needsToken('/api/titles')).toBe(true);
    expect(needsToken('/api/me')).toBe(true);
    expect(needsToken('/api/health')).toBe(false);
    expect(needsToken('/apiary')).toBe(false);
    expect(needsToken('/')).toBe(false);
  });
});

describe('verdictOf', () => {
  it('reads the users service answer', () => {
    expect(verdictOf(200, { userId: 'u1', region: 'eu', plan: 'basic', expiresAt: 2_000_000_000 })).toEqual({
      kind: 'valid',
      user: { id: 'u1', region: 'eu', plan: 'basic' },
      expiresAt: 2_000_000_000_000,
    });
    expect(verdictOf(401, { error: { code: 'expired-token' } })).toEqual({
      kind: 'invalid',
      code: 'expired-token',
    });
    expect(verdictOf(401, { error: { code: 'invalid-token' } })).toEqual({
      kind: 'invalid',
      code: 'invalid-token',
    });
    expect(verdictOf(200, { userId: 'u1' }).kind).toBe('unavailable');
    // the token's user is gone: the token is no good, not a reason to come back later
    expect(verdictOf(404, { error: { code: 'unknown-user' } })).toEqual({
      kind: 'invalid',
      code: 'invalid-token',
    });
    expect(verdictOf(500, { error: { code: 'internal' } }).kind).toBe('unavailable');
  });
});

describe('authFilter', () => {
  const valid = (id: string, expiresAt = 2_000_000): Verdict => ({ kind: 'valid', user: { id }, expiresAt });

  it('refuses a missing or malformed header with 401, without a call', async () => {
    const s = setup(() => valid('u1'));
    const none = ctx();
    await s.filter.apply(none);
    expect(none.response?.status).toBe(401);
    expect(code(none)).toBe('missing-token');
    expect(none.response?.headers['www-authenticate']).toBe('Bearer');
    const basic = ctx('Basic xyz');
    await s.filter.apply(basic);
    expect(code(basic)).toBe('invalid-token');
    expect(s.calls).toEqual([]);
  });

  it('verifies once, then serves the token from the cache with no call', async () => {
    const s = setup((t) => valid(t === 'good' ? 'u1' : 'x'));
    const first = ctx('Bearer good');
    await s.filter.apply(first);
    expect(first.user).toEqual({ id: 'u1' });
    s.advance(29_000);
    const second = ctx('Bearer good');
    await s.filter.apply(second);
    expect(second.user).toEqual({ id: 'u1' });
    expect(s.calls).toEqual(['good']);
    s.advance(1_000);
    await s.filter.apply(ctx('Bearer good'));
    expect(s.calls).toEqual(['good', 'good']);
  });

  it('refuses a cached token once it has expired, without a call', async () => {
    const s = setup(() => valid('u1', 1_005_000));
    await s.filter.apply(ctx('Bearer t'));
    s.advance(5_000);
    const late = ctx('Bearer t');
    await s.filter.apply(late);
    expect(code(late)).toBe('expired-token');
    expect(s.calls).toHaveLength(1);
  });

  it('passes the users service verdict on invalid and expired tokens', async () => {
    const s = setup((t) => ({ kind: 'invalid', code: t === 'old' ? 'expired-token' : 'invalid-token' }));
    const junk = ctx('Bearer junk');
    await s.filter.apply(junk);
    expect(code(junk)).toBe('invalid-token');
    const old = ctx('Bearer old');
    await s.filter.apply(old);
    expect(code(old)).toBe('expired-token');
    await s.filter.apply(ctx('Bearer old'));
    expect(s.calls).toEqual(['junk', 'old']);
  });

  it('answers 503, not 401, when the users service cannot say', async () => {
    const s = setup(() => ({ kind: 'unavailable', code: 'circuit-open', message: 'open' }));
    const c = ctx('Bearer t');
    await s.filter.apply(c);
    expect(c.response?.status).toBe(503);
    expect(code(c)).toBe('circuit-open');
    expect(c.response?.headers['retry-after']).toBe('1');
  });

  it('shares one call between concurrent checks of one token', async () => {
    let release: (v: Verdict) => void = () => {};
    const s = setup(() => new Promise<Verdict>((r) => (release = r)));
    const a = ctx('Bearer t');
    const b = ctx('Bearer t');
    const both = Promise.all([s.filter.apply(a), s.filter.apply(b)]);
    release(valid('u9'));
    await both;
    expect(a.user?.id).toBe('u9');
    expect(b.user?.id).toBe('u9');
    expect(s.calls).toHaveLength(1);
  });

  it('only runs under /api, never for /api/health', () => {
    const s = setup(() => valid('u1'));
    expect(s.filter.shouldFilter(ctx(undefined, '/api/health'))).toBe(false);
    expect(s.filter.shouldFilter(ctx(undefined, '/api/me'))).toBe(true);
  });
});
