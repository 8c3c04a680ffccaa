import type { ClusterEndpoints } from '../cluster/endpoints.js';
import type { InternalSigner } from './internal-auth.js';

/**
 * A service's view of discovery: it registers itself with the discovery server of every zone and
 * heartbeats to each, and it reads the registry from its own zone's server first (another zone's
 * when that one is down), keeping the last answer — so losing discovery altogether leaves every
 * client working with the instances it last saw (Eureka's client-side cache).
 */

export interface InstanceRegistration {
  /** unique in the cluster: the component name, e.g. `catalog-a-1` */
  id: string;
  service: string;
  zone: string | null;
  /** where it answers, e.g. `http://127.0.0.1:41234` */
  url: string;
  /** a canary gets only the traffic the gateway's sharding rules send it */
  canary: boolean;
}

export interface RegisteredInstance extends InstanceRegistration {
  registeredAt: number;
  lastHeartbeat: number;
  leaseExpiresAt: number;
}

export interface DiscoveryClientOptions {
  endpoints: ClusterEndpoints;
  /** the zone of the caller; its zone's discovery server is asked first */
  zone: string | null;
  /** how often the registry is refreshed and heartbeats are sent, ms */
  refreshMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** the caller's internal token: discovery answers only the cluster */
  signer: InternalSigner;
}

export class DiscoveryClient {
  private readonly servers: Array<{ zone: string | null; url: string }>;
  private readonly refreshMs: number;
  private view = new Map<string, RegisteredInstance[]>();
  private viewAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private registration: InstanceRegistration | null = null;
  private refreshing: Promise<void> | null = null;
  private lastForcedRefresh = 0;

  constructor(private readonly options: DiscoveryClientOptions) {
    const servers = options.endpoints.services
      .filter((s) => s.service === 'discovery')
      .map((s) => ({ zone: s.zone, url: s.url }));
    // own zone first, then the others in a stable order
    this.servers = [
      ...servers.filter((s) => s.zone === options.zone),
      ...servers.filter((s) => s.zone !== options.zone),
    ];
    this.refreshMs = options.refreshMs ?? 2000;
  }

  /** Starts the refresh (and heartbeat) loop; the first refresh is awaited, but never throws. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.refreshMs);
    this.timer.unref();
  }

  /** Registers this instance with every discovery server; heartbeats follow on each refresh. */
  async register(r: InstanceRegistration): Promise<void> {
    this.registration = r;
    await Promise.all(this.servers.map((s) => this.registerWith(s.url, r)));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const r = this.registration;
    this.registration = null;
    if (r) {
      await Promise.all(
        this.servers.map((s) =>
          fetch(`${s.url}/v1/instances/${r.id}`, {
            method: 'DELETE',
            headers: this.options.signer.headers(),
            signal: AbortSignal.timeout(500),
          })
            .then((res) => res.arrayBuffer())
            .catch(() => {}),
        ),
      );
    }
  }

  /** The live instances of a service as last seen (empty when unknown). */
  instances(service: string): RegisteredInstance[] {
    return this.view.get(service) ?? [];
  }

  /**
   * The instances of a service; when none are known, refreshes once first (at most every 250 ms)
   * — a service that registered after the last refresh is found without waiting for the next.
   */
  async resolve(service: string): Promise<RegisteredInstance[]> {
    const known = this.instances(service);
    if (known.length > 0) return known;
    const now = Date.now();
    if (now - this.lastForcedRefresh > 250) {
      this.lastForcedRefresh = now;
      await this.refresh();
    }
    return this.instances(service);
  }

  snapshot() {
    return {
      servers: this.servers.map((s) => s.url),
      viewAgeMs: this.viewAt ? Date.now() - this.viewAt : null,
      services: Object.fromEntries([...this.view].map(([k, v]) => [k, v.map((i) => i.id)])),
    };
  }

  private async tick(): Promise<void> {
    await Promise.all([this.heartbeat(), this.refresh()]);
  }

  private refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.fetchView().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async fetchView(): Promise<void> {
    for (const s of this.servers) {
      try {
        const res = await fetch(`${s.url}/v1/instances`, {
          headers: this.options.signer.headers(),
          signal: AbortSignal.timeout(1000),
        });
        if (res.status !== 200) {
          await res.arrayBuffer();
          continue;
        }
        const body = (await res.json()) as { instances: RegisteredInstance[] };
        const next = new Map<string, RegisteredInstance[]>();
        for (const i of body.instances) {
          const list = next.get(i.service) ?? [];
          list.push(i);
          next.set(i.service, list);
        }
        this.view = next;
        this.viewAt = Date.now();
        return;
      } catch {
        // try the next zone's server; keep the last view if none answers
      }
    }
  }

  private async heartbeat(): Promise<void> {
    const r = this.registration;
    if (!r) return;
    await Promise.all(
      this.servers.map(async (s) => {
        try {
          const res = await fetch(`${s.url}/v1/instances/${r.id}/heartbeat`, {
            method: 'PUT',
            headers: this.options.signer.headers(),
            signal: AbortSignal.timeout(1000),
          });
          await res.arrayBuffer();
          if (res.status === 404) await this.registerWith(s.url, r);
        } catch {
          // that zone's discovery is down; the next heartbeat tries again
        }
      }),
    );
  }

  private async registerWith(url: string, r: InstanceRegistration): Promise<void> {
    try {
      const res = await fetch(`${url}/v1/instances`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.signer.headers() },
        body: JSON.stringify(r),
        signal: AbortSignal.timeout(1000),
      });
      await res.arrayBuffer();
      if (res.status >= 300) this.options.log?.('registration refused', { server: url, status: res.status });
    } catch {
      // retried by the heartbeat loop (a 404 heartbeat registers again)
    }
  }
}
