/**
 * Zuul-style filters: a filter is a plain module with a type, an order, a
 * `shouldFilter` predicate and an `apply` step over a mutable RequestContext. Inbound filters
 * authenticate, limit and choose the route; the endpoint filter executes it; outbound filters
 * decorate the response. Setting `ctx.response` short-circuits the remaining inbound and endpoint
 * filters (like fastify's "reply sent"); outbound filters still run.
 */
import type { Readable } from 'node:stream';
import type { TraceContext } from '../../platform/tracing.js';
import type { GatewayResponse } from './errors.js';

/** The fixed, validated list of filter types, in the order the chain runs them. */
export const FILTER_TYPES = ['inbound', 'endpoint', 'outbound'] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

/** The authenticated caller, set by an auth filter. */
export interface GatewayUser {
  id: string;
  roles?: readonly string[];
  /** the user's region (passed upstream as `x-flix-user-region`) */
  region?: string;
  plan?: string;
  /** the subscription's status when the token was verified (passed upstream as `x-flix-user-subscription`) */
  subscription?: string;
}

/** Where the request goes, chosen by an inbound (or endpoint) filter. */
export interface Route {
  /** The upstream service name, e.g. `catalog`. */
  service: string;
  /** The path to call on it. */
  path: string;
  /** The route's name in the metrics (`titles`, `play`, ...). */
  name?: string;
  /** Send to a canary instance of the service (set by the sharding filter). */
  canary?: boolean;
}

/** The upstream instance that answered, for the diagnostic headers and the metrics. */
export interface UpstreamAnswer {
  instance: string;
  zone: string | null;
  ms: number;
}

/** One request as it moves through the chain. */
export interface RequestContext {
  readonly method: string;
  readonly path: string;
  /** Lower-case header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** The raw query string with its `?` ('' when none), passed upstream as it came. */
  readonly search: string;
  readonly clientIp: string;
  readonly bodySize: number;
  user?: GatewayUser;
  route?: Route;
  trace?: TraceContext;
  /** Once set, the remaining inbound and endpoint filters are skipped. */
  response?: GatewayResponse;
  /** Headers added to whatever response goes back (lower-case names). */
  responseHeaders: Record<string, string>;
  /** The raw request body as the server adapter read it (undefined when there was none). */
  body?: Buffer;
  /** A body streamed through unread (an upload's bytes): `bodySize` is its declared length. */
  stream?: Readable;
  /** The parsed JSON body (set by request validation). */
  json?: unknown;
  /** Who answered upstream, when a call was made. */
  upstream?: UpstreamAnswer;
  /** The response body after an outbound filter encoded it (compression); sent instead of `response.body`. */
  encodedBody?: Buffer;
  /** When the gateway received the request, performance.now() ms. */
  readonly startedAt: number;
}

export interface Filter {
  /** Unique within a chain; the kill switch and the metrics use it. */
  readonly name: string;
  readonly type: FilterType;
  /** Lower runs first within its type. */
  readonly order: number;
  /** Applies at most this many requests at once; further ones get a 503 (default: the chain's). */
  readonly maxConcurrency?: number;
  shouldFilter(ctx: RequestContext): boolean;
  apply(ctx: RequestContext): Promise<void> | void;
}

/** What a server adapter knows about an incoming request. */
export interface RequestInit {
  method: string;
  path: string;
  headers?: Record<string, string | readonly string[] | undefined>;
  query?: Record<string, string | readonly string[]>;
  search?: string;
  clientIp: string;
  bodySize?: number;
  body?: Buffer;
  stream?: Readable;
  /** performance.now() when the request arrived (default: now) */
  startedAt?: number;
}

/** Builds a fresh context, lower-casing header names and joining repeated headers. */
export function createContext(init: RequestInit): RequestContext {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = typeof value === 'string' ? value : value.join(', ');
    headers[key] = headers[key] === undefined ? joined : `${headers[key]}, ${joined}`;
  }
  return {
    method: init.method.toUpperCase(),
    path: init.path,
    headers,
    query: { ...init.query },
    search: init.search ?? '',
    clientIp: init.clientIp,
    bodySize: init.bodySize ?? init.body?.length ?? 0,
    responseHeaders: {},
    body: init.body,
    stream: init.stream,
    startedAt: init.startedAt ?? performance.now(),
  };
}
