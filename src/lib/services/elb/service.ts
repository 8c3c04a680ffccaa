import { Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { httpJson } from '../../platform/http/client.js';
import { errorBody } from '../../platform/http/error-body.js';
import { Router, sendJson, setRoute } from '../../platform/http/router.js';
import { retryElsewhere } from '../../platform/retry-elsewhere.js';
import { createTwoTierBalancer, type Pick } from './balancing.js';
import { HealthTracker } from './health.js';
import { answerHeaders, forwardHeaders, gatewayTargets, isAdminPath, type Target } from './targets.js';

interface TargetCounts {
  requests: number;
  connectFailures: number;
  statuses: Record<string, number>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How long a gateway may stay silent on a forwarded request before the ELB gives up on it. */
const UPSTREAM_IDLE_MS = 30_000;

/**
 * How long a gateway may take to start its answer. A healthy one answers well within this (its
 * own upstream calls time out after 1 s); a gateway that accepted the connection and then says
 * nothing — a hung process, a frozen zone — is counted as a failed health check at once and the
 * request, when it can be sent again (no body), goes to another zone.
 */
export const DEFAULT_ANSWER_TIMEOUT_MS = 5_000;

/** Why a forwarded request failed before any answer went back to the client. */
class ForwardError extends Error {
  constructor(
    readonly kind: 'stale' | 'no-answer' | 'connect' | 'other',
    message: string,
  ) {
    super(message);
  }
}

function errorJson(res: ServerResponse, status: number, code: string, message: string, headers = {}) {
  sendJson(res, status, errorBody(status, code, message), headers);
}

/**
 * The ELB's proxy: picks a gateway two-tier (zones round robin, then the healthy gateways of the
 * zone), streams the request to it and its answer back (nothing buffered), retries a connection
 * failure once in another zone, and never forwards `/_admin*`.
 */
export class ElbProxy extends Router {
  readonly totals = { requests: 0, retried: 0, noHealthy: 0, refusedAdmin: 0, failed: 0 };
  readonly counts = new Map<string, TargetCounts>();

  constructor(
    private readonly balancer: ReturnType<typeof createTwoTierBalancer>,
    private readonly health: HealthTracker,
    private readonly targets: Map<string, Target>,
    private readonly agent: Agent,
    private readonly signer: { headers(): Record<string, string> },
    private readonly answerTimeoutMs = DEFAULT_ANSWER_TIMEOUT_MS,
  ) {
    super();
    for (const id of targets.keys()) this.counts.set(id, { requests: 0, connectFailures: 0, statuses: {} });
  }

  override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.totals.requests++;
    // everything is forwarded alike; the gateway's metrics have the routes
    setRoute(req, 'forward');
    if (isAdminPath(req.url ?? '/')) {
      this.totals.refusedAdmin++;
      req.resume();
      return errorJson(res, 404, 'not-found', `no route for ${req.url}`);
    }
    const first = this.balancer.pick();
    if (!first) return this.noGateway(req, res);
    let last = first;
    try {
      await retryElsewhere(first, {
        attempt: (pick) => {
          last = pick;
          return this.forwardOnce(req, res, pick);
        },
        retryable: (error) => error instanceof ForwardError && this.retryable(error, req),
        // a kept-alive socket found closed: nothing reached that gateway, send it again there;
        // otherwise once more in another zone
        next: (failed, error) =>
          (error as ForwardError).kind === 'stale' ? failed : this.balancer.pickRetry(failed.zone),
        onRetry: () => this.totals.retried++,
      });
    } catch (error) {
      if (res.headersSent) return;
      const e = error as ForwardError;
      this.totals.failed++;
      req.resume();
      const [status, code] = e.kind === 'no-answer' ? [504, 'gateway-timeout'] : [502, 'gateway-failed'];
      errorJson(res, status, code, `gateway ${last.instance}: ${e.message}`);
    }
  }

  private noGateway(req: IncomingMessage, res: ServerResponse): void {
    this.totals.noHealthy++;
    req.resume();
    errorJson(res, 503, 'no-healthy-gateway', 'no gateway is healthy; try again shortly', {
      'retry-after': '1',
    });
  }

  /**
   * Whether a failed forward can be sent again: a refused connection or a stale socket always (the
   * gateway never saw it); a gateway that took the request and said nothing only when the request
   * can be replayed (no body, and its empty body is all read).
   */
  private retryable(e: ForwardError, req: IncomingMessage): boolean {
    if (e.kind === 'connect') return true;
    const idempotent = IDEMPOTENT.has(req.method ?? '');
    if (e.kind === 'stale') return idempotent;
    if (e.kind === 'no-answer') return idempotent && req.readableEnded;
    return false;
  }

  /**
   * Streams the request to one gateway; resolves once its answer starts flowing back to the
   * client (a failure after that ends the client's connection), rejects with a ForwardError when
   * the gateway failed before answering.
   */
  private forwardOnce(req: IncomingMessage, res: ServerResponse, pick: Pick): Promise<void> {
    const target = this.targets.get(pick.instance) as Target;
    const counts = this.counts.get(pick.instance) as TargetCounts;
    counts.requests++;
    return new Promise((resolve, reject) => {
      const up = request({
        host: target.host,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req.headers, req.socket.remoteAddress, pick.zone, this.signer.headers()),
        agent: this.agent,
      });
      let connected = false;
      let noAnswer = false;
      const onConnected = () => {
        if (connected) return;
        connected = true;
        // a retry after a stale keep-alive socket: the (empty) body was already read
        if (req.readableEnded) up.end();
        else req.pipe(up);
      };
      up.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', onConnected);
        else onConnected();
      });
      up.setTimeout(UPSTREAM_IDLE_MS, () => up.destroy(new Error('the gateway did not answer in time')));
      const answerTimer = setTimeout(() => {
        noAnswer = true;
        up.destroy(new Error(`no answer within ${this.answerTimeoutMs} ms`));
      }, this.answerTimeoutMs);
      up.on('close', () => clearTimeout(answerTimer));
      up.on('response', (answer) => {
        clearTimeout(answerTimer);
        const klass = `${Math.floor((answer.statusCode ?? 0) / 100)}xx`;
        counts.statuses[klass] = (counts.statuses[klass] ?? 0) + 1;
        res.writeHead(answer.statusCode ?? 502, answerHeaders(answer.headers, pick.zone));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        resolve();
      });
      up.on('error', (error: NodeJS.ErrnoException) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const detail = error.code ?? error.message;
        if (noAnswer) {
          // connected, but silent: out of the rotation now rather than at the next health check
          this.health.record(pick.instance, false, Date.now(), error.message);
          reject(new ForwardError('no-answer', error.message));
        } else if (up.reusedSocket && error.code === 'ECONNRESET') {
          // a keep-alive socket the gateway closed as it was reused: nothing reached the gateway
          reject(new ForwardError('stale', detail));
        } else if (!connected) {
          counts.connectFailures++;
          this.health.record(pick.instance, false, Date.now(), detail);
          reject(new ForwardError('connect', detail));
        } else reject(new ForwardError('other', detail));
      });
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
    });
  }
}

/** `flix serve elb`: the public entry point in front of the gateways of every zone. */
export async function startElb(ctx: ServiceContext): Promise<ServiceHandle> {
  const healthCheckMs = Number(ctx.component.settings.healthCheckMs ?? 1000);
  const { targets, zones } = gatewayTargets(ctx.endpoints);
  const byId = new Map(targets.map((t) => [t.id, t]));
  const balancer = createTwoTierBalancer(zones.length ? zones : [{ name: 'none', instances: [] }]);
  const health = new HealthTracker(
    targets.map((t) => t.id),
    balancer,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000, timeout: 15_000 });
  const proxy = new ElbProxy(balancer, health, byId, agent, ctx.signer);

  const check = async (t: Target) => {
    try {
      const r = await httpJson(`${t.url}/health`, {
        signal: AbortSignal.timeout(Math.min(healthCheckMs, 2000)),
      });
      const ok = r.status === 200;
      const change = health.record(t.id, ok, Date.now(), ok ? undefined : `answered ${r.status}`);
      if (change) ctx.log.info(`gateway ${change}`, { gateway: t.id, zone: t.zone });
    } catch (error) {
      const change = health.record(
        t.id,
        false,
        Date.now(),
        error instanceof Error ? error.message : String(error),
      );
      if (change) ctx.log.info(`gateway ${change}`, { gateway: t.id, zone: t.zone });
    }
  };
  let checking = false;
  const checkAll = async () => {
    if (checking) return;
    checking = true;
    try {
      await Promise.all(targets.map(check));
    } finally {
      checking = false;
    }
  };
  await checkAll();
  const timer = setInterval(() => void checkAll(), healthCheckMs);
  timer.unref();

  return {
    router: proxy,
    async stop() {
      clearInterval(timer);
      agent.destroy();
    },
    status: () => ({
      healthCheckMs,
      totals: { ...proxy.totals },
      nextZone: balancer.snapshot().nextZone,
      targets: targets.map((t) => ({
        id: t.id,
        zone: t.zone,
        url: t.url,
        ...health.snapshot(t.id),
        ...proxy.counts.get(t.id),
      })),
    }),
  };
}
