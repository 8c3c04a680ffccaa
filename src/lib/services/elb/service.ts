import { Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { httpJson } from '../../platform/http/client.js';
import { Router, sendJson } from '../../platform/http/router.js';
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

class NoAnswerError extends Error {
  readonly code = 'ENOANSWER';
}

function errorJson(res: ServerResponse, status: number, code: string, message: string, headers = {}) {
  sendJson(res, status, { error: { status, code, message } }, headers);
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
    private readonly answerTimeoutMs = DEFAULT_ANSWER_TIMEOUT_MS,
  ) {
    super();
    for (const id of targets.keys()) this.counts.set(id, { requests: 0, connectFailures: 0, statuses: {} });
  }

  override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.totals.requests++;
    if (isAdminPath(req.url ?? '/')) {
      this.totals.refusedAdmin++;
      req.resume();
      return errorJson(res, 404, 'not-found', `no route for ${req.url}`);
    }
    const pick = this.balancer.pick();
    if (!pick) return this.noGateway(req, res);
    this.forward(req, res, pick, false);
  }

  private noGateway(req: IncomingMessage, res: ServerResponse): void {
    this.totals.noHealthy++;
    req.resume();
    errorJson(res, 503, 'no-healthy-gateway', 'no gateway is healthy; try again shortly', {
      'retry-after': '1',
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, pick: Pick, retried: boolean): void {
    const target = this.targets.get(pick.instance) as Target;
    const counts = this.counts.get(pick.instance) as TargetCounts;
    counts.requests++;
    const up = request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.headers, req.socket.remoteAddress, pick.zone),
      agent: this.agent,
    });
    let connected = false;
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
    const answerTimer = setTimeout(
      () => up.destroy(new NoAnswerError(`no answer within ${this.answerTimeoutMs} ms`)),
      this.answerTimeoutMs,
    );
    up.on('close', () => clearTimeout(answerTimer));
    up.on('response', (answer) => {
      clearTimeout(answerTimer);
      const klass = `${Math.floor((answer.statusCode ?? 0) / 100)}xx`;
      counts.statuses[klass] = (counts.statuses[klass] ?? 0) + 1;
      res.writeHead(answer.statusCode ?? 502, answerHeaders(answer.headers, pick.zone));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    up.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // a keep-alive socket the gateway closed as it was reused: nothing reached the gateway
      const stale = up.reusedSocket && error.code === 'ECONNRESET' && IDEMPOTENT.has(req.method ?? '');
      if (stale && !retried) {
        this.totals.retried++;
        this.forward(req, res, pick, true);
        return;
      }
      /** Once, in another zone; false when this was the retry or no other zone has a healthy gateway. */
      const retryElsewhere = () => {
        const next = retried ? null : this.balancer.pickRetry(pick.zone);
        if (!next) return false;
        this.totals.retried++;
        this.forward(req, res, next, true);
        return true;
      };
      const fail = (status: number, code: string, detail: string) => {
        this.totals.failed++;
        req.resume();
        errorJson(res, status, code, `gateway ${pick.instance}: ${detail}`);
      };
      if (error instanceof NoAnswerError) {
        // connected, but silent: out of the rotation now rather than at the next health check;
        // only a request whose (empty) body is all read can be sent again
        this.health.record(pick.instance, false, Date.now(), error.message);
        const replayable = IDEMPOTENT.has(req.method ?? '') && req.readableEnded;
        if (!(replayable && retryElsewhere())) fail(504, 'gateway-timeout', error.message);
        return;
      }
      if (!connected) {
        counts.connectFailures++;
        this.health.record(pick.instance, false, Date.now(), error.code ?? error.message);
        if (retryElsewhere()) return;
      }
      fail(502, 'gateway-failed', error.code ?? error.message);
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
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
  const proxy = new ElbProxy(balancer, health, byId, agent);

  const check = async (t: Target) => {
    try {
      const r = await httpJson(`${t.url}/health`, {
        signal: AbortSignal.timeout(Math.min(healthCheckMs, 2000)),
      });
      const ok = r.status === 200;
      const change = health.record(t.id, ok, Date.now(), ok ? undefined : `answered ${r.status}`);
      if (change) ctx.log(`gateway ${change}`, { gateway: t.id, zone: t.zone });
    } catch (error) {
      const change = health.record(
        t.id,
        false,
        Date.now(),
        error instanceof Error ? error.message : String(error),
      );
      if (change) ctx.log(`gateway ${change}`, { gateway: t.id, zone: t.zone });
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
