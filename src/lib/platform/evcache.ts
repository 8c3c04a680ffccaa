import { createHash } from 'node:crypto';
import memjs from 'memjs';
import type { ClusterEndpoints } from '../cluster/endpoints.js';

/**
 * EVCache: one memcached per zone. A write goes to every zone (so a reader in any zone finds it);
 * a read goes to the caller's zone first and, on a miss or a failure there, to the other zones in
 * turn. A zone that fails a call is not retried by memjs; each call has a short timeout so a dead
 * zone costs at most that much.
 */

export interface EvCacheStats {
  hits: number;
  misses: number;
  /** reads answered by another zone after the local one missed or failed */
  crossZoneHits: number;
  writes: number;
  writeFailures: number;
  readFailures: number;
}

export interface EvCacheOptions {
  /** per-operation timeout, seconds (memjs); default 0.25 */
  timeoutSeconds?: number;
  /** prefix of every key; default `flix:` */
  prefix?: string;
}

interface ZoneNode {
  zone: string;
  client: memjs.Client;
}

export class EvCache {
  private readonly nodes: ZoneNode[];
  readonly stats: EvCacheStats = {
    hits: 0,
    misses: 0,
    crossZoneHits: 0,
    writes: 0,
    writeFailures: 0,
    readFailures: 0,
  };
  private readonly prefix: string;

  constructor(endpoints: ClusterEndpoints, zone: string | null, options: EvCacheOptions = {}) {
    const timeout = options.timeoutSeconds ?? 0.25;
    const all = endpoints.memcached.map((m) => ({
      zone: m.zone,
      client: memjs.Client.create(m.address, {
        retries: 0,
        timeout,
        conntimeout: timeout,
        keepAlive: true,
        logger: quiet,
      }),
    }));
    this.nodes = [...all.filter((n) => n.zone === zone), ...all.filter((n) => n.zone !== zone)];
    this.prefix = options.prefix ?? 'flix:';
  }

  /** The value stored under key, from the nearest zone that has it; null when none does. */
  async get(key: string): Promise<Buffer | null> {
    const k = this.prefix + key;
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i] as ZoneNode;
      try {
        const { value } = await node.client.get(k);
        if (value) {
          this.stats.hits++;
          if (i > 0) this.stats.crossZoneHits++;
          return value;
        }
      } catch {
        this.stats.readFailures++;
      }
    }
    this.stats.misses++;
    return null;
  }

  async getJson<T>(key: string): Promise<T | null> {
    const v = await this.get(key);
    if (!v) return null;
    try {
      return JSON.parse(v.toString('utf8')) as T;
    } catch {
      return null;
    }
  }

  /**
   * Writes to every zone at once. Resolves when the caller's own zone has answered (true when it
   * took the write); the other zones' writes finish in the background, their failures counted —
   * a dead zone never slows a writer down. Never throws.
   */
  async set(key: string, value: string | Buffer, ttlSeconds: number): Promise<boolean> {
    this.stats.writes++;
    const k = this.prefix + key;
    const writes = this.nodes.map((n) =>
      n.client.set(k, value, { expires: ttlSeconds }).then(
        (ok) => {
          if (!ok) this.stats.writeFailures++;
          return ok;
        },
        () => {
          this.stats.writeFailures++;
          return false;
        },
      ),
    );
    return (await writes[0]) ?? false;
  }

  setJson(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    return this.set(key, JSON.stringify(value), ttlSeconds);
  }

  /** Deletes from every zone (an invalidation); never throws. */
  async delete(key: string): Promise<void> {
    const k = this.prefix + key;
    await Promise.allSettled(this.nodes.map((n) => n.client.delete(k)));
  }

  /** Read-through: the cached value, else `load()` stored in every zone (null results are not cached). */
  async readThrough<T>(key: string, ttlSeconds: number, load: () => Promise<T | null>): Promise<T | null> {
    const cached = await this.getJson<T>(key);
    if (cached !== null) return cached;
    const value = await load();
    if (value !== null) void this.setJson(key, value, ttlSeconds);
    return value;
  }

  /**
   * The node that owns a key for the whole cluster: every caller in every zone picks the same
   * one (rendezvous hashing over the zones' nodes), so an operation there is atomic cluster-wide
   * — a counter, a claim. The others follow in the same order, for when it is down.
   */
  owner(key: string): ZoneNode[] {
    const score = (n: ZoneNode) =>
      createHash('sha1').update(`${n.zone}\u0000${key}`).digest().readUInt32BE(0);
    return [...this.nodes].sort((a, b) => score(b) - score(a) || a.zone.localeCompare(b.zone));
  }

  /**
   * Adds one to a counter that lives `ttlSeconds` from its first count, on the key's owner node;
   * the count after it, or null when the owner cannot be asked (the caller decides alone then).
   */
  async count(key: string, ttlSeconds: number): Promise<number | null> {
    const node = this.owner(key)[0];
    if (!node) return null;
    try {
      const r = await node.client.increment(this.prefix + key, 1, { initial: 1, expires: ttlSeconds });
      return r.success && typeof r.value === 'number' ? r.value : null;
    } catch {
      this.stats.readFailures++;
      return null;
    }
  }

  /**
   * Claims a key for `value` on its owner node, for `ttlSeconds`: true when it was free (memcached
   * `add` is atomic), false when someone holds it, null when the owner cannot be asked.
   */
  async claim(key: string, value: string, ttlSeconds: number): Promise<boolean | null> {
    const node = this.owner(key)[0];
    if (!node) return null;
    try {
      return await node.client.add(this.prefix + key, value, { expires: ttlSeconds });
    } catch {
      this.stats.writeFailures++;
      return null;
    }
  }

  /** What a claimed key holds (null when free or the owner cannot be asked). */
  async claimedBy(key: string): Promise<string | null> {
    const node = this.owner(key)[0];
    if (!node) return null;
    try {
      const { value } = await node.client.get(this.prefix + key);
      return value ? value.toString('utf8') : null;
    } catch {
      this.stats.readFailures++;
      return null;
    }
  }

  /** Keeps a claim `value` holds for another `ttlSeconds`; false when it lapsed or is another's. */
  async renewClaim(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const node = this.owner(key)[0];
    if (!node) return false;
    const k = this.prefix + key;
    try {
      const { value: held } = await node.client.get(k);
      if (!held) return (await node.client.add(k, value, { expires: ttlSeconds })) === true;
      if (held.toString('utf8') !== value) return false;
      return await node.client.set(k, value, { expires: ttlSeconds });
    } catch {
      this.stats.writeFailures++;
      return false;
    }
  }

  /** Gives up a claim `value` holds (nothing when it is another's). */
  async release(key: string, value: string): Promise<void> {
    const node = this.owner(key)[0];
    if (!node) return;
    const k = this.prefix + key;
    try {
      const { value: held } = await node.client.get(k);
      if (held?.toString('utf8') === value) await node.client.delete(k);
    } catch {
      this.stats.writeFailures++;
    }
  }

  zones(): string[] {
    return this.nodes.map((n) => n.zone);
  }

  close(): void {
    for (const n of this.nodes) n.client.close();
  }
}

const quiet = { log: () => {} };
