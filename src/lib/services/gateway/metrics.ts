/**
 * The gateway's request metrics: per route, counts by status and latency percentiles over the
 * last `window` requests (a ring buffer: constant memory, O(1) per request; sorting happens only
 * when /status is read).
 */

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The value at quantile q (0..1) of sorted samples, nearest rank; 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

class Ring {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  constructor(size: number) {
    this.samples = new Float64Array(size);
  }
  add(v: number): void {
    this.samples[this.next] = v;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
  }
  summary(): LatencySummary {
    const sorted = Array.from(this.samples.subarray(0, this.filled)).sort((a, b) => a - b);
    const r = (v: number) => Math.round(v * 100) / 100;
    return {
      count: sorted.length,
      p50: r(quantile(sorted, 0.5)),
      p90: r(quantile(sorted, 0.9)),
      p99: r(quantile(sorted, 0.99)),
      max: r(sorted[sorted.length - 1] ?? 0),
    };
  }
}

interface RouteStats {
  requests: number;
  statuses: Map<number, number>;
  total: Ring;
  /** the gateway's own time: total minus the upstream call */
  overhead: Ring;
}

export class GatewayMetrics {
  private readonly routes = new Map<string, RouteStats>();
  private requests = 0;

  constructor(private readonly window = 2048) {}

  /** Records one answered request. */
  record(route: string, status: number, totalMs: number, upstreamMs?: number): void {
    this.requests++;
    let s = this.routes.get(route);
    if (!s) {
      s = { requests: 0, statuses: new Map(), total: new Ring(this.window), overhead: new Ring(this.window) };
      this.routes.set(route, s);
    }
    s.requests++;
    s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
    s.total.add(totalMs);
    s.overhead.add(Math.max(0, totalMs - (upstreamMs ?? 0)));
  }

  get total(): number {
    return this.requests;
  }

  snapshot() {
    return {
      requests: this.requests,
      routes: [...this.routes].map(([route, s]) => ({
        route,
        requests: s.requests,
        statuses: Object.fromEntries([...s.statuses].sort((a, b) => a[0] - b[0])),
        latencyMs: s.total.summary(),
        overheadMs: s.overhead.summary(),
      })),
    };
  }
}
