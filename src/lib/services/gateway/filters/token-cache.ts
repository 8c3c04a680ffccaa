import type { GatewayUser } from '../filter.js';

/** How long a verified token is trusted without asking the users service again. */
export const TOKEN_CACHE_MS = 30_000;
/** How long an expired token is remembered, so it is refused without a call. */
const EXPIRED_MEMORY_MS = 60_000;

export type TokenLookup =
  | { kind: 'hit'; user: GatewayUser; expiresAt: number }
  | { kind: 'expired' }
  | { kind: 'miss' };

interface Entry {
  user: GatewayUser;
  /** when the token itself expires, ms */
  expiresAt: number;
  /** until when the verification is trusted, ms: min(expiresAt, verifiedAt + ttl) */
  trustedUntil: number;
}

/**
 * Verified tokens kept in-process so the hot path makes no call: an entry is trusted until
 * min(token expiry, 30 s after verification); past the token's expiry it answers `expired`
 * without a call (for a minute), and past 30 s it is a miss (verify again: a revoked token stops
 * working within 30 s). Bounded: past `maxEntries` the oldest entry goes. Time is passed in.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;
  expired = 0;

  constructor(private readonly options: { ttlMs?: number; maxEntries?: number } = {}) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string, now: number): TokenLookup {
    const entry = this.entries.get(token);
    if (!entry) {
      this.misses++;
      return { kind: 'miss' };
    }
    if (now >= entry.expiresAt) {
      if (now >= entry.expiresAt + EXPIRED_MEMORY_MS) {
        this.entries.delete(token);
        this.misses++;
        return { kind: 'miss' };
      }
      this.expired++;
      return { kind: 'expired' };
    }
    if (now >= entry.trustedUntil) {
      this.misses++;
      return { kind: 'miss' };
    }
    this.hits++;
    return { kind: 'hit', user: entry.user, expiresAt: entry.expiresAt };
  }

  /** Remembers a token the users service verified, valid until `expiresAt` (ms). */
  set(token: string, user: GatewayUser, expiresAt: number, now: number): void {
    const ttl = this.options.ttlMs ?? TOKEN_CACHE_MS;
    this.entries.delete(token);
    this.entries.set(token, { user, expiresAt, trustedUntil: Math.min(expiresAt, now + ttl) });
    const max = this.options.maxEntries ?? 50_000;
    for (const key of this.entries.keys()) {
      if (this.entries.size <= max) break;
      this.entries.delete(key);
    }
  }

  /** Remembers that a token has expired (the users service said so). */
  setExpired(token: string, now: number): void {
    this.entries.set(token, { user: { id: '' }, expiresAt: now, trustedUntil: now });
  }

  /** Drops entries nobody can use any more; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [token, e] of this.entries) {
      if (now >= e.trustedUntil && (now < e.expiresAt || now >= e.expiresAt + EXPIRED_MEMORY_MS)) {
        this.entries.delete(token);
        dropped++;
      }
    }
    return dropped;
  }

  stats() {
    return { size: this.entries.size, hits: this.hits, misses: this.misses, expired: this.expired };
  }
}

/** An expiry from the users service as ms since the epoch: unix seconds, ms, or an ISO date. */
export function expiryMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    if (/^\d+(\.\d+)?$/.test(value)) return expiryMs(Number(value));
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** The bearer token of an Authorization header; null when there is none, '' when it is malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return null;
  const m = /^bearer[ \t]+(\S+)\s*$/i.exec(header.trim());
  return m?.[1] ?? '';
}
