import type { TwoTierBalancer } from './balancing.js';

export interface HealthPolicy {
  /** consecutive failed checks that take a target out (default 2) */
  unhealthyAfter: number;
  /** consecutive passed checks that bring it back (default 1) */
  healthyAfter: number;
}

interface TargetHealth {
  healthy: boolean;
  failures: number;
  successes: number;
  checks: number;
  lastCheckAt: number | null;
  lastError: string | null;
}

/**
 * Active health checking's bookkeeping: counts consecutive results per target and tells the
 * balancer when a target crosses a threshold (2 failures → unhealthy, 1 success → healthy, as
 * an ELB's defaults go). Targets start unhealthy until their first check passes. Pure: the
 * checks themselves happen in the server.
 */
export class HealthTracker {
  private readonly state = new Map<string, TargetHealth>();
  private readonly policy: HealthPolicy;

  constructor(
    ids: readonly string[],
    private readonly balancer: TwoTierBalancer,
    policy: Partial<HealthPolicy> = {},
  ) {
    this.policy = { unhealthyAfter: 2, healthyAfter: 1, ...policy };
    for (const id of ids) {
      this.state.set(id, {
        healthy: false,
        failures: 0,
        successes: 0,
        checks: 0,
        lastCheckAt: null,
        lastError: null,
      });
    }
  }

  /** Records one check (or a failed connection); returns the change, if any. */
  record(id: string, ok: boolean, now: number, error?: string): 'healthy' | 'unhealthy' | null {
    const s = this.state.get(id);
    if (!s) throw new Error(`health report for unknown target ${id}`);
    s.checks++;
    s.lastCheckAt = now;
    if (ok) {
      s.successes++;
      s.failures = 0;
      s.lastError = null;
      if (!s.healthy && s.successes >= this.policy.healthyAfter) {
        s.healthy = true;
        this.balancer.markHealthy(id);
        return 'healthy';
      }
      return null;
    }
    s.failures++;
    s.successes = 0;
    s.lastError = error ?? 'failed';
    if (s.healthy && s.failures >= this.policy.unhealthyAfter) {
      s.healthy = false;
      this.balancer.markUnhealthy(id);
      return 'unhealthy';
    }
    return null;
  }

  isHealthy(id: string): boolean {
    return this.state.get(id)?.healthy ?? false;
  }

  snapshot(id: string) {
    const s = this.state.get(id);
    if (!s) return null;
    return {
      healthy: s.healthy,
      consecutiveFailures: s.failures,
      checks: s.checks,
      lastCheckAt: s.lastCheckAt ? new Date(s.lastCheckAt).toISOString() : null,
      lastError: s.lastError,
    };
  }
}
