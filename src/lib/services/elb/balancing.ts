/**
 * The ELB's two-tier balancing scheme: round robin across zones first, then round robin across
 * the healthy instances of the chosen zone. Pure state: no sockets and no timers; active health
 * checks run elsewhere and report through markHealthy / markUnhealthy.
 */

/** One zone and the instances registered in it, in round-robin order. */
export interface ZoneSpec {
  name: string;
  instances: readonly string[];
}

export interface TwoTierOptions {
  /**
   * Health of an instance before its first check. Default false, as an ELB does: a newly
   * registered instance takes no traffic until a health check has passed.
   */
  startHealthy?: boolean;
}

/** Where one request goes. */
export interface Pick {
  zone: string;
  instance: string;
}

export interface InstanceStatus {
  id: string;
  healthy: boolean;
}

export interface ZoneStatus {
  name: string;
  healthy: number;
  instances: InstanceStatus[];
}

/** A copy of the balancer's state for `status` output; later changes do not affect it. */
export interface TwoTierSnapshot {
  /** The zone the next pick() tries first. */
  nextZone: string;
  zones: ZoneStatus[];
}

export interface TwoTierBalancer {
  /** The next instance, or null when no zone has a healthy instance. */
  pick(): Pick | null;
  /**
   * An instance outside `failedZone`, for retrying a connect failure once in another zone; null
   * when no other zone has a healthy instance.
   */
  pickRetry(failedZone: string): Pick | null;
  /** Returns true when the instance was unhealthy before. */
  markHealthy(instance: string): boolean;
  /** Returns true when the instance was healthy before. */
  markUnhealthy(instance: string): boolean;
  snapshot(): TwoTierSnapshot;
}

interface ZoneState {
  name: string;
  instances: { id: string; healthy: boolean }[];
  /** index of the instance this zone tries next */
  cursor: number;
}

/**
 * Builds a balancer over `zones`. Zone and instance names must be unique (instance names across
 * all zones, since health reports name only the instance); a zone may have no instances.
 */
export function createTwoTierBalancer(
  zones: readonly ZoneSpec[],
  options: TwoTierOptions = {},
): TwoTierBalancer {
  if (zones.length === 0) throw new Error('two-tier balancer needs at least one zone');
  const startHealthy = options.startHealthy ?? false;
  const byInstance = new Map<string, { id: string; healthy: boolean }>();
  const zoneNames = new Set<string>();
  const state: ZoneState[] = zones.map((z) => {
    if (zoneNames.has(z.name)) throw new Error(`zone ${z.name} is listed twice`);
    zoneNames.add(z.name);
    const instances = z.instances.map((id) => {
      if (byInstance.has(id)) throw new Error(`instance ${id} is registered twice`);
      const inst = { id, healthy: startHealthy };
      byInstance.set(id, inst);
      return inst;
    });
    return { name: z.name, instances, cursor: 0 };
  });
  let zoneCursor = 0;

  /** Takes the next healthy instance of a zone and advances its cursor past it. */
  const takeFrom = (zone: ZoneState): string | null => {
    const n = zone.instances.length;
    for (let step = 0; step < n; step++) {
      const i = (zone.cursor + step) % n;
      const inst = zone.instances[i];
      if (inst?.healthy) {
        zone.cursor = (i + 1) % n;
        return inst.id;
      }
    }
    return null;
  };

  /** Tier one: the next zone (from the zone cursor) that is allowed and has a healthy instance. */
  const pickExcept = (excluded: string | null): Pick | null => {
    const n = state.length;
    for (let step = 0; step < n; step++) {
      const i = (zoneCursor + step) % n;
      const zone = state[i];
      if (!zone || zone.name === excluded) continue;
      const instance = takeFrom(zone);
      if (instance !== null) {
        zoneCursor = (i + 1) % n;
        return { zone: zone.name, instance };
      }
    }
    return null;
  };

  const setHealth = (id: string, healthy: boolean): boolean => {
    const inst = byInstance.get(id);
    if (!inst) throw new Error(`health report for unknown instance ${id}`);
    const changed = inst.healthy !== healthy;
    inst.healthy = healthy;
    return changed;
  };

  return {
    pick: () => pickExcept(null),
    pickRetry: (failedZone) => pickExcept(failedZone),
    markHealthy: (id) => setHealth(id, true),
    markUnhealthy: (id) => setHealth(id, false),
    snapshot: () => ({
      nextZone: state[zoneCursor]?.name ?? '',
      zones: state.map((z) => ({
        name: z.name,
        healthy: z.instances.filter((i) => i.healthy).length,
        instances: z.instances.map((i) => ({ id: i.id, healthy: i.healthy })),
      })),
    }),
  };
}
