import { FlixError } from '../core/errors.js';
import { parseSpans, parseTraces, traceDurationUs, type ZipkinSpan } from '../engines/zipkin/spans.js';
import { runningClusterEndpoints } from '../runtime/index.js';

/** The cluster's Zipkin, or a clear refusal when the cluster traces nothing. */
async function zipkinOf(cluster: string): Promise<string> {
  const endpoints = await runningClusterEndpoints(cluster);
  if (!endpoints.zipkin)
    throw new FlixError(`cluster '${cluster}' runs no Zipkin: it traces nothing`, {
      code: 'usage',
      nextStep:
        'turn tracing on in its cluster file (observability.enabled and engines.zipkin.enabled), then `flix up` again; `flix logs --trace ID` still shows the lines a request left',
    });
  return endpoints.zipkin;
}

async function zipkinGet(zipkin: string, path: string): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${zipkin}${path}`, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new FlixError(`Zipkin did not answer: ${(error as Error).message}`, {
      code: 'componentFailed',
      nextStep: '`flix status` shows whether zipkin is healthy',
    });
  }
  const text = await res.text();
  if (res.status >= 500)
    throw new FlixError(`Zipkin answered ${res.status}: ${text.slice(0, 200)}`, {
      code: 'componentFailed',
      nextStep: '`flix logs --component zipkin` shows what it said',
    });
  try {
    return { status: res.status, json: text ? JSON.parse(text) : null };
  } catch {
    return { status: res.status, json: null };
  }
}

/** `flix trace ID`: every span of one trace. */
export async function traceById(cluster: string, traceId: string): Promise<ZipkinSpan[]> {
  const id = traceId.trim().toLowerCase();
  if (!/^([0-9a-f]{16}|[0-9a-f]{32})$/.test(id))
    throw new FlixError(`'${traceId}' is not a trace id: 16 or 32 hex digits (x-b3-traceid)`, {
      code: 'usage',
      nextStep:
        '`flix play --json` prints the trace id of a play; `flix trace --slowest 5` lists recent ones',
    });
  const zipkin = await zipkinOf(cluster);
  const r = await zipkinGet(zipkin, `/api/v2/trace/${id}`);
  if (r.status === 404)
    throw new FlixError(`Zipkin has no trace ${id}`, {
      code: 'notFound',
      nextStep:
        'a trace is in Zipkin about a second after its request ends, if it was sampled (observability.traceSampling) and is among the newest engines.zipkin.maxSpans spans',
    });
  if (r.status !== 200)
    throw new FlixError(`Zipkin refused the trace query (${r.status})`, { code: 'componentFailed' });
  return parseSpans(r.json);
}

export interface SlowestQuery {
  n: number;
  /** how far back, ms */
  sinceMs: number;
  /** only traces that passed through this service */
  service?: string;
}

/** `flix trace --slowest N`: the slowest traces of the window, slowest first. */
export async function slowestTraces(cluster: string, q: SlowestQuery): Promise<ZipkinSpan[][]> {
  const zipkin = await zipkinOf(cluster);
  const params = new URLSearchParams({
    endTs: String(Date.now()),
    lookback: String(Math.max(1000, Math.round(q.sinceMs))),
    // Zipkin returns the newest traces of the window; the slowest are picked from many of them
    limit: String(Math.max(1000, q.n)),
  });
  if (q.service) params.set('serviceName', q.service);
  const r = await zipkinGet(zipkin, `/api/v2/traces?${params}`);
  if (r.status === 400 && q.service)
    throw new FlixError(`Zipkin knows no service '${q.service}'`, {
      code: 'usage',
      nextStep: `the services Zipkin has seen: ${zipkin}/api/v2/services`,
    });
  if (r.status !== 200)
    throw new FlixError(`Zipkin refused the traces query (${r.status})`, { code: 'componentFailed' });
  return parseTraces(r.json)
    .sort((a, b) => traceDurationUs(b) - traceDurationUs(a))
    .slice(0, q.n);
}
