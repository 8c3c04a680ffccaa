import { describe, expect, it } from 'vitest';
import { bearerToken, expiryMs, TOKEN_CACHE_MS, TokenCache } from './token-cache.js';

const user = { id: 'u1', region: 'us' };

describe('TokenCache', () => {
  it('trusts a verified token for 30 s, then asks again', () => {
    const cache = new TokenCache();
    cache.set('t', user, 1_000_000, 0);
    expect(cache.get('t', 1)).toEqual({ kind: 'hit', user, expiresAt: 1_000_000 });
    expect(cache.get('t', TOKEN_CACHE_MS - 1).kind).toBe('hit');
    expect(cache.get('t', TOKEN_CACHE_MS).kind).toBe('miss');
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it('answers expired, without a call, once the token itself has expired', () => {
    const cache = new TokenCache();
    cache.set('t', user, 10_000, 0);
    expect(cache.get('t', 9_999).kind).toBe('hit');
    expect(cache.get('t', 10_000)).toEqual({ kind: 'expired' });
    expect(cache.get('t', 60_000)).toEqual({ kind: 'expired' });
    // forgotten a minute after expiry: then the users service says so again
    expect(cache.get('t', 70_000)).toEqual({ kind: 'miss' });
  });

  it('remembers a token the users service called expired', () => {
    const cache = new TokenCache();
    cache.setExpired('old', 5);
    expect(cache.get('old', 6)).toEqual({ kind: 'expired' });
    expect(cache.get('other', 6)).toEqual({ kind: 'miss' });
  });

  it('is bounded and sweeps entries nobody can use', () => {
    const cache = new TokenCache({ maxEntries: 2 });
    cache.set('a', user, 1e9, 0);
    cache.set('b', user, 1e9, 0);
    cache.set('c', user, 1e9, 0);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 1).kind).toBe('miss');
    expect(cache.sweep(TOKEN_CACHE_MS)).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe('bearerToken', () => {
  it('reads Bearer tokens, null when absent, empty when malformed', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('  ')).toBeNull();
    expect(bearerToken('Basic dXNlcg==')).toBe('');
    expect(bearerToken('Bearer a b')).toBe('');
  });
});

describe('expiryMs', () => {
  it('reads unix seconds, ms and ISO dates', () => {
    expect(expiryMs(1_795_400_000)).toBe(1_795_400_000_000);
    expect(expiryMs(1_795_400_000_000)).toBe(1_795_400_000_000);
    expect(expiryMs('1795400000')).toBe(1_795_400_000_000);
    expect(expiryMs('2026-11-22T00:00:00.000Z')).toBe(Date.parse('2026-11-22T00:00:00.000Z'));
    expect(expiryMs('soon')).toBeNull();
    expect(expiryMs(undefined)).toBeNull();
  });
});
