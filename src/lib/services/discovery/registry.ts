import { type Clock, systemClock } from '../../core/clock.js';
import type { InstanceRegistration, RegisteredInstance } from '../../platform/discovery.js';

/**
 * A service registry with leases (Eureka-style): an instance registers, renews its lease with a
 * heartbeat, and is evicted when the lease runs out. Pure state; time comes from a Clock.
 */

export class Registry {
  private readonly instances = new Map<string, RegisteredInstance>();

  constructor(
    private readonly leaseMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  register(r: InstanceRegistration): RegisteredInstance {
    const now = this.clock.now();
    const prev = this.instances.get(r.id);
    const entry: RegisteredInstance = {
      ...r,
      registeredAt: prev && prev.url === r.url ? prev.registeredAt : now,
      lastHeartbeat: now,
      leaseExpiresAt: now + this.leaseMs,
    };
    this.instances.set(r.id, entry);
    return entry;
  }

  /** Renews a lease; false when the instance is unknown (evicted or never registered): register again. */
  heartbeat(id: string): boolean {
    this.evictExpired();
    const e = this.instances.get(id);
    if (!e) return false;
    const now = this.clock.now();
    e.lastHeartbeat = now;
    e.leaseExpiresAt = now + this.leaseMs;
    return true;
  }

  deregister(id: string): boolean {
    return this.instances.delete(id);
  }

  /** Every instance with a live lease, optionally of one service, ordered by id. */
  list(service?: string): RegisteredInstance[] {
    this.evictExpired();
    return [...this.instances.values()]
      .filter((e) => service === undefined || e.service === service)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((e) => ({ ...e }));
  }

  /** Drops instances whose lease has run out; returns their ids. */
  evictExpired(): string[] {
    const now = this.clock.now();
    const gone: string[] = [];
    for (const [id, e] of this.instances) {
      if (e.leaseExpiresAt <= now) {
        this.instances.delete(id);
        gone.push(id);
      }
    }
    return gone;
  }
}
