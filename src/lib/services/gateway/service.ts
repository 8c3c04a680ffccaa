import type { IncomingMessage, ServerResponse } from 'node:http';
import { readPlan } from '../../cluster/endpoints.js';
import { EvCache } from '../../platform/evcache.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { errorBody } from '../../platform/http/error-body.js';
import { callerOf, Router, sendJson, setRoute } from '../../platform/http/router.js';
import { OPERATOR } from '../../platform/internal-auth.js';
import { logRequest } from '../../platform/logging.js';
import { isolation } from '../../platform/resilience/index.js';
import { FilterChain, FilterChainError } from './chain.js';
import { jsonError } from './errors.js';
import { createContext } from './filter.js';
import { type VerifyToken, verdictOf } from './filters/auth.js';
import { gatewayFilters } from './filters/index.js';
import { upstreamFailureCode } from './filters/proxy.js';
import { streamsBody } from './filters/routing.js';
import { TokenCache } from './filters/token-cache.js';
import { GatewayMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { ClusterRateLimiter, TokenBucketLimiter } from './rate-limit.js';
import { TOP_TITLES_REFRESH_MS, TopTitles } from './top-titles.js';

/** The gateway's settings from the cluster file (`services.gateway`), with the schema's defaults. */
export interface GatewaySettings {
  canaryPercent: number;
  maxBodyBytes: number;
  rateLimit: { perUser: { rps: number; burst: number }; perIp: { rps: number; burst: number } };
}

export function gatewaySettings(raw: Record<string, unknown>): GatewaySettings {
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const rl = (raw.rateLimit ?? {}) as Record<string, { rps?: unknown; burst?: unknown } | undefined>;
  const rate = (r: { rps?: unknown; burst?: unknown } | undefined, rps: number, burst: number) => ({
    rps: num(r?.rps, rps),
    burst: num(r?.burst, burst),
  });
  return {
    canaryPercent: num(raw.canaryPercent, 0),
    maxBodyBytes: num(raw.maxBodyBytes, 16 * 1024),
    rateLimit: { perUser: rate(rl.perUser, 50, 100), perIp: rate(rl.perIp, 500, 1000) },
  };
}

/**
 * The client's address: the last `x-forwarded-for` hop when the peer is on loopback (the ELB
 * appends the address it saw; earlier hops are the client's word), else the peer itself.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
  const p = peer ?? 'unknown';
  const loopback = p === '127.0.0.1' || p === '::1' || p === '::ffff:127.0.0.1';
  if (!loopback || forwardedFor === undefined) return p;
  const joined = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = joined.split(',').pop()?.trim();
  return last || p;
}

interface ReadBody {
  body?: Buffer;
  /** bytes read, or the declared length when it was over the limit (then the body is drained) */
  size: number;
}

/** Reads a request body up to `max` bytes; past it, stops keeping bytes and drains the rest. */
function readBody(req: IncomingMessage, max: number): Promise<ReadBody> {
  const declared = Number(req.headers['content-length']);
  if (req.headers['content-length'] !== undefined && declared === 0) {
    return Promise.resolve({ size: 0 });
  }
  if (declared > max) {
    req.resume();
    return Promise.resolve({ size: declared });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) return;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve({ size });
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve({ body: size > 0 ? Buffer.concat(chunks, size) : undefined, size });
    });
    req.on('error', reject);
  });
}

/**
 * The gateway's HTTP adapter: `/_admin/*` (the filters' kill switches) and, for everything else,
 * one RequestContext through the filter chain, answered with the chain's response plus the
 * outbound headers. A Router subclass, so the service runtime hands it every request.
 */
export class GatewayHttp extends Router {
  constructor(
    private readonly chain: FilterChain,
    private readonly options: { instance: string; zone: string | null; maxBodyBytes: number },
  ) {
    super({ maxBodyBytes: options.maxBodyBytes });
  }

  override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q);
    try {
      if (path === '/_admin' || path.startsWith('/_admin/')) return await this.admin(req, res, path);
      const hasBody =
        req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      // an upload's bytes go through as they come: neither buffered nor parsed
      const stream = hasBody && streamsBody(path);
      const read: ReadBody = stream
        ? { size: Number(req.headers['content-length'] ?? 0) }
        : hasBody
          ? await readBody(req, this.options.maxBodyBytes)
          : { size: 0 };
      const ctx = createContext({
        method: req.method ?? 'GET',
        path,
        search,
        query: search ? Object.fromEntries(new URLSearchParams(search)) : {},
        headers: req.headers,
        clientIp: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']),
        bodySize: read.size,
        body: read.body,
        stream: stream ? req : undefined,
        startedAt,
      });
      await this.chain.run(ctx);
      setRoute(req, ctx.route?.name ?? (path === '/api/health' ? 'health' : 'unmatched'));
      // refused before the proxy read it (a bad token, a limit): the bytes are drained
      if (stream && !req.readableEnded && req.readableFlowing !== true) req.resume();
      const r = ctx.response ?? jsonError(404, 'no-route', `no route for ${ctx.method} ${path}`);
      const payload = ctx.encodedBody ?? r.body;
      const headers: Record<string, string | number> = { ...r.headers, ...ctx.responseHeaders };
      headers['content-length'] = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      if (res.headersSent || res.destroyed) return;
      res.writeHead(r.status, headers);
      res.end(ctx.method === 'HEAD' ? undefined : payload);
      if (this.log)
        logRequest(this.log, {
          method: ctx.method,
          path,
          status: r.status,
          ms: performance.now() - startedAt,
          traceId: ctx.trace?.traceId,
          userId: ctx.user?.id,
        });
    } catch (error) {
      this.logError(error, { method: req.method, path });
      if (res.headersSent || res.destroyed) return;
      const e = jsonError(500, 'gateway-failed', error instanceof Error ? error.message : String(error));
      res.writeHead(e.status, e.headers);
      res.end(e.body);
    }
  }

  /** GET /_admin/filters; POST /_admin/filters/<name> {enabled}. Never reachable through the ELB. */
  private async admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (callerOf(req) !== OPERATOR) {
      req.resume();
      return sendJson(
        res,
        403,
        errorBody(403, 'operator-only', 'the filters are switched by the operator (`flix gateway filters`)'),
      );
    }
    const who = { instance: this.options.instance, zone: this.options.zone };
    if (path === '/_admin/filters' && method === 'GET') {
      req.resume();
      return sendJson(res, 200, { ...who, filters: this.chain.describe() });
    }
    const m = /^\/_admin\/filters\/([^/]+)$/.exec(path);
    if (m && (method === 'POST' || method === 'PUT')) {
      const name = decodeURIComponent(m[1] as string);
      let body: unknown;
      try {
        const read = await readBody(req, 4096);
        body = read.body ? JSON.parse(read.body.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const enabled = (body as { enabled?: unknown } | undefined)?.enabled;
      if (typeof enabled !== 'boolean') {
        return sendJson(res, 400, errorBody(400, 'invalid-request', 'send {"enabled": true|false}'));
      }
      try {
        if (enabled) this.chain.enable(name);
        else this.chain.disable(name);
      } catch (error) {
        if (!(error instanceof FilterChainError)) throw error;
        return sendJson(
          res,
          404,
          errorBody(404, 'unknown-filter', `no filter named ${name}`, {
            known: this.chain.describe().map((f) => f.name),
          }),
        );
      }
      return sendJson(res, 200, { ...who, filter: this.chain.describe().find((f) => f.name === name) });
    }
    req.resume();
    sendJson(res, 404, errorBody(404, 'not-found', `no admin route ${method} ${path}`));
  }
}

/** `flix serve gateway`: the per-zone API gateway. */
export async function startGateway(ctx: ServiceContext): Promise<ServiceHandle> {
  const settings = gatewaySettings(ctx.component.settings);
  const instance = ctx.component.name;
  const zone = ctx.component.zone;
  const metrics = new GatewayMetrics();
  const tokens = new TokenCache();
  const perIp = new TokenBucketLimiter({
    capacity: Math.max(1, Math.round(settings.rateLimit.perIp.burst)),
    refillPerSecond: settings.rateLimit.perIp.rps,
  });
  // a user's limit holds across every gateway: counted in EVCache (see ClusterRateLimiter)
  const cache = new EvCache(ctx.endpoints, zone);
  ctx.metrics.watchEvCache(cache.stats);
  // memcached answers in well under a millisecond; the timeout is for a node that hangs, and is
  // generous because a two-core machine under load delays answers by tens of milliseconds
  const counterIsolation = isolation<number | null>('rate-limit-counters', {
    timeoutMs: 200,
    maxConcurrent: 256,
    breaker: { minimumRequests: 5, halfOpenAfterMs: 5000, windowMs: 10_000 },
  });
  const perUserCapacity = Math.max(1, Math.round(settings.rateLimit.perUser.burst));
  const perUserLocal = new TokenBucketLimiter({
    capacity: perUserCapacity,
    refillPerSecond: settings.rateLimit.perUser.rps,
  });
  const perUser = new ClusterRateLimiter({
    capacity: perUserCapacity,
    refillPerSecond: settings.rateLimit.perUser.rps,
    local: perUserLocal,
    counter: {
      count: (key, ttl) =>
        counterIsolation
          .execute(async () => {
            const n = await cache.count(key, ttl);
            if (n === null) throw new Error('the owner node of the counter did not answer');
            return n;
          })
          .catch(() => null),
    },
  });
  const topTitles = new TopTitles(
    async () => (await ctx.services.call('catalog', { path: '/v1/titles?limit=10' })).body,
  );
  const verify: VerifyToken = async (token, rctx) => {
    try {
      const r = await ctx.services.call('users', {
        method: 'POST',
        path: '/v1/tokens/verify',
        body: { token },
        trace: rctx.trace,
      });
      return verdictOf(r.status, r.body);
    } catch (error) {
      return {
        kind: 'unavailable',
        code: upstreamFailureCode(error),
        message: error instanceof Error ? error.message : String(error),
      };
    }
  };

  // filter errors are logged at most once per filter per 10 s, with how many were not logged
  const errorLog = new Map<string, { at: number; suppressed: number }>();
  // upstream failures at most once a second per service (a failing dependency fails many calls)
  const upstreamLog = new Map<string, { at: number; suppressed: number }>();
  const logUpstream = (message: string, fields: Record<string, unknown>) => {
    const key = String(fields.service);
    const now = Date.now();
    const seen = upstreamLog.get(key);
    if (seen && now - seen.at < 1000) {
      seen.suppressed++;
      return;
    }
    ctx.log.warn(message, { ...fields, suppressed: seen?.suppressed ?? 0 });
    upstreamLog.set(key, { at: now, suppressed: 0 });
  };
  const chain = new FilterChain(
    gatewayFilters({
      instance,
      zone,
      maxBodyBytes: settings.maxBodyBytes,
      canaryPercent: settings.canaryPercent,
      perIp,
      perUser,
      tokens,
      verify,
      services: ctx.services,
      topTitles,
      metrics,
      openApi: JSON.stringify(openApiDocument({ commentChars: await commentChars(ctx.cluster) })),
      log: logUpstream,
    }),
    {
      onFilterError(filter, error) {
        const now = Date.now();
        const seen = errorLog.get(filter);
        if (seen && now - seen.at < 10_000) {
          seen.suppressed++;
          return;
        }
        ctx.log.warn('filter failed', {
          filter,
          error: error instanceof Error ? error.message : String(error),
          suppressed: seen?.suppressed ?? 0,
        });
        errorLog.set(filter, { at: now, suppressed: 0 });
      },
    },
  );

  void topTitles.refresh();
  const timers = [
    setInterval(() => void topTitles.refresh(), TOP_TITLES_REFRESH_MS),
    setInterval(() => {
      const now = Date.now();
      tokens.sweep(now);
      perIp.sweep();
      perUserLocal.sweep();
    }, 30_000),
  ];
  // an aggregate line a minute instead of a line per request
  let lastLogged = 0;
  timers.push(
    setInterval(() => {
      if (metrics.total === lastLogged) return;
      ctx.log.info('requests', { total: metrics.total, since: metrics.total - lastLogged });
      lastLogged = metrics.total;
    }, 60_000),
  );
  for (const t of timers) t.unref();

  return {
    router: new GatewayHttp(chain, { instance, zone, maxBodyBytes: settings.maxBodyBytes }),
    async stop() {
      for (const t of timers) clearInterval(t);
      cache.close();
    },
    status: () => ({
      instance,
      zone,
      settings,
      metrics: metrics.snapshot(),
      filters: chain.describe(),
      tokenCache: tokens.stats(),
      rateLimiters: {
        perIpKeys: perIp.size,
        perUserLocalKeys: perUserLocal.size,
        perUserCounted: { ...perUser.counts },
      },
      topTitles: topTitles.status(),
      breakers: [...ctx.services.snapshot(), counterIsolation.snapshot()],
    }),
  };
}

/** The comment length limit the cluster's comments service applies (what the API document states). */
async function commentChars(cluster: string): Promise<number> {
  const plan = await readPlan(cluster);
  const comments = plan?.components.find((c) => c.settings.service === 'comments');
  return Number(comments?.settings.maxChars ?? 2000);
}
