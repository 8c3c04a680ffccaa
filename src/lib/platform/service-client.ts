import type { Readable } from 'node:stream';
import type { DiscoveryClient, RegisteredInstance } from './discovery.js';
import { ConnectError, type HttpAnswer, httpJson } from './http/client.js';
import { readErrorBody } from './http/error-body.js';
import { REGION_HEADER, USER_HEADER } from './http/router.js';
import type { InternalSigner } from './internal-auth.js';
import {
  type CommandPolicy,
  type CommandSnapshot,
  type Failure,
  type IsolationOptions,
  isolation,
  type Outcome,
} from './resilience/index.js';
import { inOrder, retryElsewhere } from './retry-elsewhere.js';
import type { TraceContext } from './tracing.js';
import { downstreamHeaders } from './tracing.js';

/**
 * Service-to-service calls: the callee is found through discovery (own zone first, round robin,
 * canaries only when asked for), and every call runs under that dependency's isolation — a
 * timeout, a bulkhead, a circuit breaker — with an optional fallback per call (Hystrix's command).
 * A refused connection is retried once on another instance. Answers of 5xx count as failures;
 * 4xx answers are the callee's verdict and are returned as they are.
 */

export interface CallOptions {
  method?: string;
  path: string;
  body?: unknown;
  trace?: TraceContext;
  /** the authenticated user the call is made for (USER_HEADER) */
  userId?: string | null;
  region?: string | null;
  headers?: Record<string, string>;
  /** send to a canary instance (when the service has one) */
  canary?: boolean;
  /** the answer's body as text, unparsed (for a proxy) */
  raw?: boolean;
  /** a body streamed through instead of `body` (an upload's bytes; sent once, never retried elsewhere) */
  stream?: Readable;
  signal?: AbortSignal;
}

export interface CallResult<T> extends HttpAnswer<T> {
  instance: string;
  zone: string | null;
}

/** The callee answered 5xx, or no instance is registered. */
export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceClientOptions {
  discovery: DiscoveryClient;
  /** the caller's internal token, sent on every call */
  signer: InternalSigner;
  zone: string | null;
  /** isolation settings per dependency (service name), over the defaults */
  isolation?: Record<string, Partial<Omit<IsolationOptions<never>, 'fallback'>>>;
  /** defaults for every dependency */
  defaults?: Partial<Omit<IsolationOptions<never>, 'fallback'>>;
}

export class ServiceClient {
  private readonly commands = new Map<string, CommandPolicy>();
  private readonly cursors = new Map<string, number>();

  constructor(private readonly options: ServiceClientOptions) {}

  /** The isolation of one dependency (made on first use). */
  command(service: string): CommandPolicy {
    let c = this.commands.get(service);
    if (!c) {
      c = isolation(service, {
        timeoutMs: 1000,
        maxConcurrent: 64,
        breaker: { minimumRequests: 5, halfOpenAfterMs: 5000, windowMs: 10_000 },
        ...this.options.defaults,
        ...this.options.isolation?.[service],
      });
      this.commands.set(service, c);
    }
    return c;
  }

  /** Calls a service under its isolation; rejects on failure (timeout, open circuit, 5xx, no instance). */
  async call<T = unknown>(service: string, opts: CallOptions): Promise<CallResult<T>> {
    return this.command(service).execute((signal) => this.attempt<T>(service, opts, signal), opts.signal);
  }

  /** Like call, but a failure yields `fallback(failure)` marked degraded (reason says why). */
  async callWithFallback<T, F>(
    service: string,
    opts: CallOptions,
    fallback: (failure: Failure) => F | Promise<F>,
  ): Promise<Outcome<CallResult<T>, F>> {
    return this.command(service).executeWithOutcome(
      (signal) => this.attempt<T>(service, opts, signal),
      opts.signal,
      fallback,
    );
  }

  /** Every dependency's breaker and bulkhead, for /status and `flix status --breakers`. */
  snapshot(): CommandSnapshot[] {
    return [...this.commands.values()].map((c) => c.snapshot());
  }

  private async attempt<T>(service: string, opts: CallOptions, signal: AbortSignal): Promise<CallResult<T>> {
    const candidates = this.order(
      service,
      await this.options.discovery.resolve(service),
      opts.canary === true,
    );
    if (candidates.length === 0) {
      throw new UpstreamError(service, 503, `no instance of ${service} is registered with discovery`);
    }
    const headers: Record<string, string> = { ...opts.headers, ...this.options.signer.headers() };
    if (opts.trace) Object.assign(headers, downstreamHeaders(opts.trace));
    if (opts.userId) headers[USER_HEADER] = opts.userId;
    if (opts.region) headers[REGION_HEADER] = opts.region;
    // a refused connection (instance gone, lease not yet expired) is retried once elsewhere
    return retryElsewhere(candidates[0] as RegisteredInstance, {
      next: inOrder(candidates),
      // a streamed body cannot be sent twice: what a refused connection took of it is gone
      retryable: (error) => error instanceof ConnectError && !opts.stream,
      attempt: async (instance) => {
        const answer = await httpJson<T>(`${instance.url}${opts.path}`, {
          method: opts.method ?? 'GET',
          headers,
          body: opts.body,
          signal,
          raw: opts.raw,
          stream: opts.stream,
        });
        if (answer.status >= 500) {
          const message = readErrorBody(answer.body)?.message || `answered ${answer.status}`;
          throw new UpstreamError(service, answer.status, `${service} (${instance.id}): ${message}`);
        }
        return { ...answer, instance: instance.id, zone: instance.zone };
      },
    });
  }

  /** Own zone first (round robin within it), then the other zones; canaries only when asked. */
  private order(service: string, all: RegisteredInstance[], canary: boolean): RegisteredInstance[] {
    let pool = all.filter((i) => i.canary === canary);
    if (pool.length === 0 && canary) pool = all.filter((i) => !i.canary);
    const local = pool.filter((i) => i.zone === this.options.zone);
    const remote = pool.filter((i) => i.zone !== this.options.zone);
    const n = (this.cursors.get(service) ?? 0) + 1;
    this.cursors.set(service, n);
    return [...rotate(local, n), ...rotate(remote, n)];
  }
}

function rotate<T>(xs: T[], n: number): T[] {
  if (xs.length === 0) return xs;
  const k = n % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}
