import { createServer, type Server } from 'node:http';
import type { ComponentPlan } from '../cluster/components.js';
import { type ClusterEndpoints, endpointsFromPlan, readPlan } from '../cluster/endpoints.js';
import { FlixError } from '../errors.js';
import type { ServiceId } from './catalog.js';

/** What a service gets from the runtime: who it is, where everything is, a logger and a stop signal. */
export interface ServiceContext {
  cluster: string;
  component: ComponentPlan;
  endpoints: ClusterEndpoints;
  signal: AbortSignal;
  log(message: string, fields?: Record<string, unknown>): void;
}

/** A started service: stopped gracefully on SIGTERM; `status()` is served at GET /status. */
export interface ServiceHandle {
  stop(): Promise<void>;
  status(): unknown;
}

export type ServiceMain = (ctx: ServiceContext) => Promise<ServiceHandle>;

const mains: Record<ServiceId, () => Promise<ServiceMain>> = {
  orchestrator: async () => (await import('../ingest/orchestrator.js')).startOrchestrator,
  transcoder: async () => (await import('../ingest/transcoder.js')).startTranscoder,
};

export function jsonLogger(component: string) {
  return (message: string, fields: Record<string, unknown> = {}) => {
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), component, message, ...fields })}\n`,
    );
  };
}

/**
 * `flix serve <service>`: start one instance of a service of a running cluster, with an HTTP
 * endpoint on its component port (loopback only): GET /health (200 once started) and GET /status.
 */
export async function runService(
  service: ServiceId,
  clusterName: string,
  componentName: string,
): Promise<void> {
  const plan = await readPlan(clusterName);
  const component = plan?.components.find((c) => c.name === componentName);
  if (!plan || !component) {
    throw new FlixError(`cluster '${clusterName}' has no component ${componentName}`, {
      code: 'notRunning',
      nextStep: 'services are started by `flix up`; see `flix status`',
    });
  }
  const log = jsonLogger(componentName);
  const abort = new AbortController();
  let handle: ServiceHandle | null = null;
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/health')
      return send(handle ? 200 : 503, { status: handle ? 'ok' : 'starting', component: componentName });
    if (req.url === '/status')
      return send(200, { component: componentName, service, status: handle?.status() ?? null });
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(component.ports.http, '127.0.0.1', () => resolve());
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    abort.abort();
    await handle?.stop();
    server.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const main = await mains[service]();
  handle = await main({
    cluster: clusterName,
    component,
    endpoints: endpointsFromPlan(clusterName, plan.components),
    signal: abort.signal,
    log,
  });
  log('started', { port: component.ports.http });
}
