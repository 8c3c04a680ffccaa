import { PLAN_HEADER, SUBSCRIPTION_HEADER } from '../../../platform/http/router.js';
import { BrokenCircuitError, type DegradedReason, TimeoutError } from '../../../platform/resilience/index.js';
import {
  type CallOptions,
  type CallResult,
  type ServiceClient,
  UpstreamError,
} from '../../../platform/service-client.js';
import { jsonError } from '../errors.js';
import type { Filter, RequestContext } from '../filter.js';
import { streamsBody } from './routing.js';

/** The answer headers passed back from a service (besides the body's content-type). */
const PASSED_HEADERS = ['cache-control', 'retry-after', 'location', 'etag', 'last-modified'] as const;

/** The tus protocol's headers, passed both ways on a streamed (upload) route. */
const TUS_REQUEST_HEADERS = [
  'tus-resumable',
  'upload-length',
  'upload-offset',
  'upload-metadata',
  'upload-defer-length',
  'upload-concat',
  'content-type',
  'content-length',
] as const;
const TUS_ANSWER_HEADERS = [
  'tus-resumable',
  'tus-version',
  'tus-extension',
  'tus-max-size',
  'upload-offset',
  'upload-length',
  'upload-metadata',
  'upload-expires',
  'flix-title-id',
] as const;

/** The code of a 503 for an upstream call that failed with `error`. */
export function upstreamFailureCode(error: unknown): 'circuit-open' | 'no-instance' | 'upstream-failed' {
  if (error instanceof BrokenCircuitError) return 'circuit-open';
  if (error instanceof UpstreamError && error.message.startsWith('no instance')) return 'no-instance';
  return 'upstream-failed';
}

/**
 * What a client is told of a failed upstream call: which service, and how it failed — never the
 * service's own error text (a database's or an engine's words stay in the logs, under the trace id).
 */
export function upstreamFailureMessage(service: string, error: unknown): string {
  if (error instanceof BrokenCircuitError) return `the circuit to ${service} is open; try again shortly`;
  if (error instanceof TimeoutError) return `${service} did not answer in ${error.timeoutMs} ms`;
  if (error instanceof UpstreamError) {
    return error.status === 503 && error.message.startsWith('no instance')
      ? `no instance of ${service} is available`
      : `${service} failed (${error.status}); try again shortly`;
  }
  return `${service} could not be reached; try again shortly`;
}

/** The body of a service's answer as text, the way it was sent (JSON re-serialised). */
export function answerText(body: unknown): string {
  if (body === undefined || body === null) return body === null ? 'null' : '';
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** A degraded answer for a route whose service failed (the recommendations' top 10). */
export type RouteFallback = (reason: DegradedReason) => unknown;

/**
 * Endpoint: calls the route's service through the service client — discovery (own zone first,
 * canaries when sharded), that service's isolation (timeout, bulkhead, breaker) — as the
 * authenticated user, in the caller's trace. The service's status and body pass through; a
 * failure is a 503 (`circuit-open`, `no-instance`, `upstream-failed`), or the route's fallback.
 */
export function proxyFilter(options: {
  services: ServiceClient;
  fallbacks?: Record<string, RouteFallback>;
  /** where an upstream failure is logged in full, with the trace id */
  log?: (message: string, fields: Record<string, unknown>) => void;
}): Filter {
  const { services } = options;
  const fallbacks = options.fallbacks ?? {};
  return {
    name: 'proxy',
    type: 'endpoint',
    order: 10,
    shouldFilter: (ctx) => ctx.route !== undefined,
    async apply(ctx) {
      const route = ctx.route;
      if (!route) return;
      let body = ctx.json;
      if (body === undefined && ctx.body && ctx.body.length > 0) {
        // request validation is switched off: pass what came, parsed when it parses
        const text = ctx.body.toString('utf8');
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const call: CallOptions = {
        method: ctx.method,
        path: route.path,
        body,
        trace: ctx.trace,
        userId: ctx.user?.id ?? null,
        region: ctx.user?.region ?? null,
        // tus headers on every request of an upload route (a HEAD or DELETE has no body, but needs them)
        headers: streamsBody(ctx.path) ? { ...userHeaders(ctx), ...tusHeaders(ctx) } : userHeaders(ctx),
        stream: ctx.stream,
        canary: route.canary === true,
        // the answer goes back as it came: no parse and re-serialise on the hot path
        raw: true,
      };
      const started = performance.now();
      const fallback = fallbacks[route.name ?? ''];
      try {
        if (fallback) {
          const outcome = await services.callWithFallback(route.service, call, (f) => fallback(f.reason));
          if (outcome.degraded) {
            ctx.upstream = { instance: 'fallback', zone: null, ms: performance.now() - started };
            ctx.response = {
              status: 200,
              headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
              body: JSON.stringify(outcome.value),
            };
            ctx.responseHeaders['x-flix-fallback'] = route.service;
            return;
          }
          answer(ctx, outcome.value, started);
        } else {
          answer(ctx, await services.call(route.service, call), started);
        }
      } catch (error) {
        ctx.upstream = { instance: '-', zone: null, ms: performance.now() - started };
        options.log?.('upstream failed', {
          service: route.service,
          path: route.path,
          traceId: ctx.trace?.traceId,
          error: error instanceof Error ? error.message : String(error),
        });
        ctx.response = jsonError(
          503,
          upstreamFailureCode(error),
          upstreamFailureMessage(route.service, error),
          {
            service: route.service,
            retryAfterSeconds: 1,
          },
        );
      }
    },
  };
}

/** What the gateway saw of the user when it verified the token: services need not ask again. */
function userHeaders(ctx: RequestContext): Record<string, string> | undefined {
  const u = ctx.user;
  if (!u?.subscription && !u?.plan) return undefined;
  const h: Record<string, string> = {};
  if (u.subscription) h[SUBSCRIPTION_HEADER] = u.subscription;
  if (u.plan) h[PLAN_HEADER] = u.plan;
  return h;
}

function tusHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = {};
  for (const name of TUS_REQUEST_HEADERS) {
    const v = ctx.headers[name];
    if (v !== undefined) h[name] = v;
  }
  return h;
}

function answer(ctx: RequestContext, result: CallResult<unknown>, started: number): void {
  ctx.upstream = { instance: result.instance, zone: result.zone, ms: performance.now() - started };
  const headers: Record<string, string> = {};
  const type = result.headers['content-type'];
  if (typeof type === 'string') headers['content-type'] = type;
  for (const name of streamsBody(ctx.path) ? [...PASSED_HEADERS, ...TUS_ANSWER_HEADERS] : PASSED_HEADERS) {
    const v = result.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  ctx.response = { status: result.status, headers, body: answerText(result.body) };
}
