import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { trace as otelTrace } from '@opentelemetry/api';
import { valueRefusedByDatabase } from '../../engines/mysql/client.js';
import { logRequest, type ServiceLog } from '../logging.js';
import type { TraceContext } from '../tracing.js';
import { errorBody } from './error-body.js';

export { errorBody };

import { resolveTrace } from '../tracing.js';

/**
 * The small HTTP layer every flix service answers with: routes with `:params`, JSON bodies with a
 * size limit, B3 trace ids, and one JSON error shape (the gateway's):
 * `{ "error": { "status", "code", "message", ... } }`. Services listen on loopback only.
 */

/** A refusal with an HTTP status; the router turns it into the JSON error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const callers = new WeakMap<IncomingMessage, string>();

/** Records who sent a request, once the service host has checked its internal token. */
export function setCaller(req: IncomingMessage, caller: string): void {
  callers.set(req, caller);
}

const routes = new WeakMap<IncomingMessage, string>();

/** Records the route pattern a request matched, for its metrics (ids in paths would make series). */
export function setRoute(req: IncomingMessage, route: string): void {
  routes.set(req, route);
}

/** The route pattern a request matched; undefined when it matched none. */
export function routeOf(req: IncomingMessage): string | undefined {
  return routes.get(req);
}

/** The cluster component (or `operator`) that sent a request; null for a stranger. */
export function callerOf(req: IncomingMessage): string | null {
  return callers.get(req) ?? null;
}

/**
 * The header the gateway sets to the authenticated user's id. Services honour it only on calls
 * that carry the cluster's internal token (see callerOf).
 */
export const USER_HEADER = 'x-flix-user-id';
/** The region of the authenticated user, set by the gateway beside USER_HEADER. */
export const REGION_HEADER = 'x-flix-user-region';
/**
 * The user's subscription status as the users service said when it verified the token (at most
 * the gateway's token-cache lifetime, 30 s, ago): playback trusts it instead of asking again.
 */
export const SUBSCRIPTION_HEADER = 'x-flix-user-subscription';
/** The user's plan id as the users service said when it verified the token (beside SUBSCRIPTION_HEADER). */
export const PLAN_HEADER = 'x-flix-user-plan';

export interface ServiceRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** parsed JSON body (undefined when there was none) */
  body: unknown;
  trace: TraceContext;
  /** the cluster component (or `operator`) that sent the call; null for a stranger */
  caller: string | null;
  /** the user the gateway authenticated, from USER_HEADER; null for calls not made for a user */
  userId: string | null;
  raw: IncomingMessage;
}

/** A response with a status other than 200, or headers. A handler may also return a plain value (200 JSON). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const REPLY = Symbol('reply');
export function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Reply {
  return { [REPLY]: true, status, body, headers } as Reply;
}
function isReply(x: unknown): x is Reply {
  return typeof x === 'object' && x !== null && REPLY in x;
}

export type Handler = (req: ServiceRequest) => Promise<unknown> | unknown;

interface RouteEntry {
  method: string;
  pattern: string;
  parts: string[];
  handler: Handler;
}

export interface RouterOptions {
  /** largest JSON body accepted (400 above it); default 64 KiB */
  maxBodyBytes?: number;
}

export class Router {
  private readonly routes: RouteEntry[] = [];
  private readonly maxBodyBytes: number;
  /** where requests and the faults of handlers are logged (the service host sets it) */
  log: ServiceLog | null = null;

  protected logError(error: unknown, fields: Record<string, unknown>): void {
    this.log?.error('request failed', {
      ...fields,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }

  constructor(options: RouterOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  }

  get(pattern: string, handler: Handler): this {
    return this.add('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.add('POST', pattern, handler);
  }
  put(pattern: string, handler: Handler): this {
    return this.add('PUT', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.add('DELETE', pattern, handler);
  }

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the route for a request; null when no path matches. */
  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Record<string, string>; pattern: string } | 'method' | null {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      const params = matchParts(r.parts, parts);
      if (!params) continue;
      pathMatched = true;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET'))
        return { handler: r.handler, params, pattern: r.pattern };
    }
    return pathMatched ? 'method' : null;
  }

  /** Answers a request; every error becomes the JSON error body. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://service.local');
    const trace = resolveTrace(req.headers as Record<string, string | undefined>);
    res.setHeader('x-b3-traceid', trace.traceId);
    let userId: string | null = null;
    if (this.log) {
      const log = this.log;
      res.once('finish', () =>
        logRequest(log, {
          method: req.method ?? 'GET',
          path: url.pathname,
          status: res.statusCode,
          ms: performance.now() - startedAt,
          traceId: trace.traceId,
          userId,
        }),
      );
    }
    try {
      const found = this.match(req.method ?? 'GET', url.pathname);
      if (found === null) throw new HttpError(404, 'not-found', `no route for ${url.pathname}`);
      // the request's span (when the service traces) is named by its route, not its path
      if (typeof found === 'object') {
        setRoute(req, found.pattern);
        const span = otelTrace.getActiveSpan();
        span?.updateName(`${req.method} ${found.pattern}`);
        span?.setAttribute('http.route', found.pattern);
      }
      if (found === 'method')
        throw new HttpError(
          405 as number,
          'method-not-allowed',
          `${req.method} is not allowed on ${url.pathname}`,
        );
      const body = await readJsonBody(req, this.maxBodyBytes);
      const userHeader = req.headers[USER_HEADER];
      const caller = callerOf(req);
      userId = caller !== null && typeof userHeader === 'string' && userHeader ? userHeader : null;
      const result = await found.handler({
        method: req.method ?? 'GET',
        path: url.pathname,
        params: found.params,
        query: url.searchParams,
        headers: req.headers,
        body,
        trace,
        caller,
        userId,
        raw: req,
      });
      if (isReply(result)) sendJson(res, result.status, result.body, result.headers);
      else sendJson(res, 200, result);
    } catch (error) {
      if (error instanceof HttpError) {
        sendJson(
          res,
          error.status,
          errorBody(error.status, error.code, error.message, error.extra),
          error.headers,
        );
      } else {
        // a value the database could not take is the caller's mistake, not a failure of this
        // service: a 400 that no breaker counts. Anything else is a fault here, logged with the
        // trace id; its text (SQL, stack, engine messages) never goes back to the caller.
        const refused = valueRefusedByDatabase(error);
        if (refused) {
          sendJson(res, 400, errorBody(400, 'invalid-request', refused));
        } else {
          this.logError(error, { method: req.method, path: url.pathname, traceId: trace.traceId });
          sendJson(
            res,
            500,
            errorBody(
              500,
              'internal',
              `the service failed; its log has the details under trace ${trace.traceId}`,
              {
                traceId: trace.traceId,
              },
            ),
          );
        }
      }
    }
  }
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const v = parts[i] as string;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(v);
      } catch {
        return null;
      }
    } else if (p !== v) return null;
  }
  return params;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Reads a JSON body; 400 when it is too big or not JSON. (Whether a public request declared JSON
 * is the gateway's check; services take what their callers inside the cluster send.)
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    throw new HttpError(
      400,
      'body-too-large',
      `the request body is ${declared} bytes; at most ${maxBytes} are accepted`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      throw new HttpError(400, 'body-too-large', `the request body is over ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'invalid-request', 'the request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed-json', 'the request body is not valid JSON');
  }
}

/** Parses `value` with a zod-like schema; a failure is a 400 naming the field. */
export function validate<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  value: unknown,
  what = 'body',
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.length ? issue.path.map(String).join('.') : what;
  throw new HttpError(400, 'invalid-request', `${field}: ${issue?.message ?? 'invalid'}`);
}
