import { type Clock, systemClock } from '../../core/clock.js';
import { jsonError } from './errors.js';
import type { Filter, RequestContext } from './filter.js';

export interface TokenBucketOptions {
  /** Tokens a key can spend at once: the burst size (integer ≥ 1). */
  capacity: number;
  /** Tokens added back per second (> 0). */
  refillPerSecond: number;
  /** Keys tracked at most; beyond it the least recently used key is forgotten (default 10 000). */
  maxKeys?: number;
  clock?: Clock;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole seconds until the request would be allowed: 0 when allowed, else ≥ 1. */
  retryAfterSeconds: number;
  /** Whole tokens left after this take. */
  remaining: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per key (a user id, a client IP): each key may spend `capacity` tokens in a
 * burst, refilled continuously at `refillPerSecond`. Memory is bounded: a bucket that has refilled
 * to full is identical to a new one, so `sweep()` drops it losslessly; and past `maxKeys` the least
 * recently used key is dropped (it then starts again with a full bucket).
 */
export class TokenBucketLimiter {
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly maxKeys: number;
  private readonly clock: Clock;
  /** In least-recently-used-first order: a touched key is re-inserted at the end. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    const { capacity, refillPerSecond, maxKeys = 10_000 } = options;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`token bucket capacity must be an integer ≥ 1, not ${capacity}`);
    }
    if (!(Number.isFinite(refillPerSecond) && refillPerSecond > 0)) {
      throw new RangeError(`token bucket refillPerSecond must be a number > 0, not ${refillPerSecond}`);
    }
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`token bucket maxKeys must be an integer ≥ 1, not ${maxKeys}`);
    }
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.maxKeys = maxKeys;
    this.clock = options.clock ?? systemClock;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Spends `cost` tokens of `key` if it has them. */
  take(key: string, cost = 1): TakeResult {
    if (!(cost > 0 && cost <= this.capacity)) {
      throw new RangeError(`token bucket cost must be > 0 and ≤ capacity ${this.capacity}, not ${cost}`);
    }
    const now = this.clock.now();
    const bucket = this.refilled(key, now);
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    this.evictOverflow();
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(bucket.tokens) };
    }
    const waitSeconds = (cost - bucket.tokens) / this.refillPerSecond;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)),
      remaining: Math.floor(bucket.tokens),
    };
  }

  /** Forgets every key whose bucket has refilled to full; returns how many were dropped. */
  sweep(): number {
    const now = this.clock.now();
    let dropped = 0;
    for (const key of [...this.buckets.keys()]) {
      if (this.refilled(key, now).tokens >= this.capacity) {
        this.buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.capacity, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(this.capacity, bucket.tokens + elapsedSeconds * this.refillPerSecond);
    bucket.updatedAt = now;
    return bucket;
  }

  private evictOverflow(): void {
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) return;
      this.buckets.delete(key);
    }
  }
}

/** A counter every gateway shares (EVCache's owner-node counters). */
export interface SharedCounter {
  /** the count after adding one (the counter lives `ttlSeconds`), or null when it cannot be asked */
  count(key: string, ttlSeconds: number): Promise<number | null>;
}

export interface Limiter {
  take(key: string): TakeResult | Promise<TakeResult>;
}

/**
 * A per-key limit shared by every gateway of the cluster, so a user gets the configured rate
 * whichever gateway each request reaches: a count per window in the key's owner memcached node,
 * `capacity` requests per window of `capacity / refillPerSecond` seconds (at least 1 s) — the
 * bucket's burst, refilled at its rate. When the shared counters cannot be asked (the owner node
 * is down or slow, and the isolation around it has opened), each gateway limits alone with its
 * own token bucket — charged all along for the requests it saw — until they can.
 */
export class ClusterRateLimiter implements Limiter {
  private readonly windowMs: number;
  readonly counts = { shared: 0, local: 0 };

  constructor(
    private readonly options: {
      capacity: number;
      refillPerSecond: number;
      counter: SharedCounter;
      local: TokenBucketLimiter;
      clock?: Clock;
    },
  ) {
    this.windowMs = Math.max(1000, Math.round((options.capacity / options.refillPerSecond) * 1000));
  }

  async take(key: string): Promise<TakeResult> {
    const now = (this.options.clock ?? systemClock).now();
    const window = Math.floor(now / this.windowMs);
    const n = await this.options.counter.count(`rl:${key}:${window}`, Math.ceil(this.windowMs / 1000) + 1);
    // the local bucket is charged for every request this gateway sees, so when one count cannot be
    // asked (a slow answer under load) the fallback starts from this gateway's share of the burst,
    // not from a fresh one
    const local = this.options.local.take(key);
    if (n === null) {
      this.counts.local++;
      return local;
    }
    this.counts.shared++;
    if (n <= this.options.capacity)
      return { allowed: true, retryAfterSeconds: 0, remaining: this.options.capacity - n };
    const left = (window + 1) * this.windowMs - now;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)), remaining: 0 };
  }
}

/** The rate-limit key of a request: the user once authenticated, else the client IP. */
export function rateLimitKey(ctx: RequestContext): string {
  return ctx.user ? `user:${ctx.user.id}` : `ip:${ctx.clientIp}`;
}

/** An inbound filter that answers 429 with Retry-After when the request's key is out of tokens. */
export function rateLimitFilter(options: {
  limiter: Limiter;
  name?: string;
  order?: number;
  key?: (ctx: RequestContext) => string;
}): Filter {
  const key = options.key ?? rateLimitKey;
  return {
    name: options.name ?? 'rate-limit',
    type: 'inbound',
    order: options.order ?? 20,
    shouldFilter: () => true,
    async apply(ctx) {
      const result = await options.limiter.take(key(ctx));
      if (!result.allowed) {
        ctx.response = jsonError(429, 'rate-limited', 'Too many requests; slow down.', {
          retryAfterSeconds: result.retryAfterSeconds,
        });
      }
    },
  };
}
