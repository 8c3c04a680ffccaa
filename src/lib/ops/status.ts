import type { ComponentStatus } from '../cluster/components.js';
import { clusterSecrets } from '../cluster/secrets.js';
import type { ClusterState } from '../cluster/state.js';
import { FlixError } from '../core/errors.js';
import { runtimeFor } from '../runtime/index.js';
import { operatorCall } from './operator.js';
import type { BreakerView, ComponentBreakers } from './views/cluster-view.js';

/** The accounts of a cluster's engines, for the operator (`flix status --credentials`). */
export interface ClusterCredentials {
  origin: {
    endpoint: string | null;
    accessKeyId: string;
    secretAccessKey: string;
    region: string;
    bucket: string;
  };
  mysql: { endpoint: string | null; user: string; password: string; database: string; rootPassword: string };
  note: string;
}

export interface ClusterStatus {
  state: ClusterState;
  unhealthy: ComponentStatus[];
  breakers?: ComponentBreakers[];
  credentials?: ClusterCredentials;
  urls?: ClusterUrl[];
}

/** An address an operator opens: a UI, an API, an engine's own endpoint. */
export interface ClusterUrl {
  what: string;
  url: string;
}

/** The addresses worth opening, the public API, the Zipkin UI and Prometheus first. */
export function clusterUrls(
  components: readonly Pick<ComponentStatus, 'name' | 'engine' | 'endpoint'>[],
): ClusterUrl[] {
  const urls: ClusterUrl[] = [];
  const of = (engine: string) => components.filter((c) => c.engine === engine);
  const elb = components.find((c) => c.name.startsWith('elb-'));
  if (elb) urls.push({ what: 'public API (ELB)', url: `${elb.endpoint}/api` });
  for (const z of of('zipkin')) {
    urls.push({ what: 'Zipkin UI (traces)', url: `${z.endpoint}/zipkin/` });
    urls.push({ what: 'Zipkin API', url: `${z.endpoint}/api/v2/` });
  }
  for (const p of of('prometheus')) {
    urls.push({ what: 'Prometheus (metrics; flix top)', url: `${p.endpoint}/graph` });
    urls.push({ what: 'Prometheus targets', url: `${p.endpoint}/targets` });
  }
  for (const e of of('elasticsearch')) urls.push({ what: 'Elasticsearch (search, logs)', url: e.endpoint });
  for (const o of of('origin')) urls.push({ what: 'S3 origin', url: o.endpoint });
  for (const e of of('edge')) urls.push({ what: `edge ${e.name}`, url: e.endpoint });
  return urls;
}

/** `flix status`: the supervisor's state; with `breakers` every service's isolation, asked as the operator. */
export async function clusterStatus(
  name: string,
  opts: { breakers?: boolean; credentials?: boolean; urls?: boolean } = {},
): Promise<ClusterStatus> {
  const { state, supervisorAlive } = await runtimeFor(name).liveness(name);
  if (!state || !supervisorAlive) {
    throw new FlixError(`cluster '${name}' is not running`, {
      code: 'notRunning',
      nextStep: `\`flix up --name ${name}\` starts it`,
    });
  }
  const out: ClusterStatus = { state, unhealthy: state.components.filter((c) => c.state !== 'healthy') };
  if (opts.breakers) {
    out.breakers = await collectBreakers(state.components, async (url) => {
      const r = await operatorCall(name, url, { signal: AbortSignal.timeout(2000) });
      if (r.status !== 200) throw new Error(`answered ${r.status}`);
      return r.body;
    });
  }
  if (opts.credentials) out.credentials = await clusterCredentials(name, state.components);
  if (opts.urls) out.urls = clusterUrls(state.components);
  return out;
}

async function clusterCredentials(name: string, components: ComponentStatus[]): Promise<ClusterCredentials> {
  const s = await clusterSecrets(name);
  const endpoint = (engine: string) => components.find((c) => c.engine === engine)?.endpoint ?? null;
  return {
    origin: {
      endpoint: endpoint('origin'),
      accessKeyId: s.originAccessKey,
      secretAccessKey: s.originSecretKey,
      region: 'us-east-1',
      bucket: 'flix-origin',
    },
    mysql: {
      endpoint: endpoint('mysql'),
      user: 'flix',
      password: s.mysqlPassword,
      database: 'flix',
      rootPassword: s.mysqlRootPassword,
    },
    note: "made for this cluster at its first `flix up`; kept in the cluster's secrets.json (mode 0600)",
  };
}

/**
 * `flix status --breakers`: GET /status of every healthy service component and read its
 * `status.breakers` (the convention of docs/control-plane.md). The HTTP GET is passed in.
 */
export async function collectBreakers(
  components: ComponentStatus[],
  getStatus: (url: string) => Promise<unknown>,
): Promise<ComponentBreakers[]> {
  const services = components.filter((c) => c.engine === 'service' && c.state === 'healthy');
  return Promise.all(
    services.map(async (c): Promise<ComponentBreakers> => {
      const base = { component: c.name, zone: c.zone };
      try {
        const body = (await getStatus(`${c.endpoint}/status`)) as {
          service?: string;
          status?: { breakers?: unknown } | null;
        };
        const breakers = body?.status?.breakers;
        return {
          ...base,
          service: body?.service ?? null,
          breakers: Array.isArray(breakers) ? (breakers as BreakerView[]) : [],
        };
      } catch (error) {
        return {
          ...base,
          service: null,
          breakers: [],
          error: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}
