import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { ComponentPlan } from '../cluster/components.js';
import { type ClusterEndpoints, endpointsFromPlan, readPlan } from '../cluster/endpoints.js';
import { type ClusterSecrets, clusterSecrets } from '../cluster/secrets.js';
import { type ServiceId, serviceCatalog } from '../cluster/service-kinds.js';
import { FlixError } from '../core/errors.js';
import { clusterPaths } from '../core/paths.js';
import { DiscoveryClient } from './discovery.js';
import { errorBody } from './http/error-body.js';
import { type Router, routeOf, setCaller } from './http/router.js';
import { INTERNAL_HEADER, InternalSigner, InternalVerifier } from './internal-auth.js';
import { type ServiceLog, serviceLog } from './logging.js';
import { ServiceMetrics } from './metrics.js';
import type { CommandSnapshot } from './resilience/index.js';
import { ServiceClient } from './service-client.js';

/** What a service gets from the runtime: who it is, where everything is, a logger and a stop signal. */
export interface ServiceContext {
  cluster: string;
  component: ComponentPlan;
  endpoints: ClusterEndpoints;
  signal: AbortSignal;
  log: ServiceLog;
  /** this service's view of the registry (the discovery service itself gets one that reads only) */
  discovery: DiscoveryClient;
  /** calls to other services through discovery, each dependency under its own isolation */
  services: ServiceClient;
  /** its Prometheus metrics (GET /metrics): requests and breakers are counted already */
  metrics: ServiceMetrics;
  /** this component's internal token, for calls that do not go through `services` */
  signer: InternalSigner;
  /** the cluster's secrets (read once at start) */
  secrets: ClusterSecrets;
  /**
   * This component's own scratch directory for temporary files. It is emptied when the component
   * starts, so whatever a killed predecessor left half-written goes with the next start.
   */
  scratchDir: string;
}

/**
 * A started service: stopped gracefully on SIGTERM; `status()` is served at GET /status, and
 * every other request goes to `router` (when the service has an API). A status that has a
 * `breakers` field (CommandSnapshot[]) shows in `flix status --breakers`.
 */
export interface ServiceHandle {
  stop(): Promise<void>;
  status(): unknown;
  router?: Router;
  /**
   * Metrics this service serves for others at GET /metrics/<name> (the log agent's for the
   * engines), Prometheus text; null when it has no such name. A rejection answers 503: that
   * target is down.
   */
  scrape?(name: string): Promise<string> | null;
}

export type ServiceMain = (ctx: ServiceContext) => Promise<ServiceHandle>;

/**
 * `flix serve <service>`: start one instance of a service of a running cluster, with an HTTP
 * endpoint on its component port (loopback only): GET /health (200 once started), GET /metrics
 * (Prometheus; like /health it answers without the internal token: Prometheus sends none, and it
 * says nothing a process on this machine could not read from the logs) and GET /status.
 */
export async function runService(
  service: ServiceId,
  main: () => Promise<ServiceMain>,
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
  const log = serviceLog({ component: componentName, service, zone: component.zone });
  const abort = new AbortController();
  const secrets = await clusterSecrets(clusterName);
  const signer = new InternalSigner(secrets.internalKey, componentName);
  const verifier = new InternalVerifier(secrets.internalKey);
  const isPublic = serviceCatalog[service].public;
  let handle: ServiceHandle | null = null;
  const metrics = new ServiceMetrics();
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/health')
      return send(handle ? 200 : 503, { status: handle ? 'ok' : 'starting', component: componentName });
    if (req.url === '/metrics') {
      void metrics.render().then(({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      });
      return;
    }
    if (req.url?.startsWith('/metrics/') && req.method === 'GET') {
      const scraped = handle?.scrape?.(decodeURIComponent(req.url.slice('/metrics/'.length)));
      if (!scraped) return send(404, errorBody(404, 'not-found', 'no such metrics here'));
      void scraped.then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        },
        (error: Error) => {
          res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`${error.message}\n`);
        },
      );
      return;
    }
    // inside the cluster only the cluster is answered: every call carries its internal token
    const caller = verifier.verify(req.headers[INTERNAL_HEADER]);
    if (caller !== null) setCaller(req, caller);
    else if (!isPublic || req.url === '/status') {
      req.resume();
      return send(
        401,
        errorBody(
          401,
          'unauthenticated',
          `${componentName} answers only the cluster: send its internal token`,
        ),
      );
    }
    if (req.url === '/status')
      return send(200, {
        component: componentName,
        service,
        zone: component.zone,
        status: handle?.status() ?? null,
      });
    if (!handle?.router)
      return handle
        ? send(404, errorBody(404, 'not-found', `no route for ${req.url}`))
        : send(503, errorBody(503, 'starting', `${componentName} is starting`));
    handle.router.log ??= log;
    const startedAt = performance.now();
    res.once('finish', () =>
      metrics.observeRequest(
        req.method ?? 'GET',
        routeOf(req) ?? 'unmatched',
        res.statusCode,
        (performance.now() - startedAt) / 1000,
      ),
    );
    void handle.router.handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(component.ports.http, '127.0.0.1', () => resolve());
  });

  const endpoints = endpointsFromPlan(clusterName, plan.components);
  const discovery = new DiscoveryClient({ endpoints, zone: component.zone, log: log.warn, signer });
  const services = new ServiceClient({
    discovery,
    zone: component.zone,
    signer,
    // an upload's request carries MiBs of a file, and its last one waits for the file's validation
    isolation: { uploads: { timeoutMs: 120_000, maxConcurrent: 16 } },
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    abort.abort();
    await discovery.stop();
    await handle?.stop();
    server.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  if (service !== 'discovery' && serviceCatalog[service].discoverable) await discovery.start();
  const start = await main();
  const scratchDir = join(clusterPaths(clusterName).scratch, componentName);
  await rm(scratchDir, { recursive: true, force: true });
  await mkdir(scratchDir, { recursive: true });
  handle = await start({
    cluster: clusterName,
    component,
    endpoints,
    signal: abort.signal,
    log,
    discovery,
    services,
    metrics,
    signer,
    secrets,
    scratchDir,
  });
  // every isolated dependency a service shows in its status (`flix status --breakers`), else the
  // calls it makes to other services
  metrics.watchBreakers(() => {
    const breakers = (handle?.status() as { breakers?: unknown } | null)?.breakers;
    return Array.isArray(breakers) ? (breakers as CommandSnapshot[]) : services.snapshot();
  });
  if (serviceCatalog[service].discoverable) {
    await discovery.register({
      id: componentName,
      service,
      zone: component.zone,
      url: component.endpoint,
      canary: Number(component.settings.canary ?? 0) === 1,
    });
  }
  log.info('started', { port: component.ports.http });
}
