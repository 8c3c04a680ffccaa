import { z } from 'zod';

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  /** epoch µs */
  timestamp: number;
  value: string;
}

/** Zipkin's v2 span, as its API answers (timestamps and durations in microseconds). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: ZipkinKind;
  /** epoch µs */
  timestamp?: number;
  /** µs */
  duration?: number;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: ZipkinAnnotation[];
  tags?: Record<string, string>;
  /** a server span that reuses its client's id (B3, one span per RPC) */
  shared?: boolean;
  debug?: boolean;
}

// Some JSON writers spell an absent field as null; Zipkin's own model never does, so null is "absent".
const withoutNulls = (v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null))
    : v;

const endpoint = z.preprocess(
  withoutNulls,
  z.looseObject({
    serviceName: z.string().optional(),
    ipv4: z.string().optional(),
    ipv6: z.string().optional(),
    port: z.number().optional(),
  }),
);

const span = z.preprocess(
  withoutNulls,
  z.looseObject({
    traceId: z.string().min(1),
    id: z.string().min(1),
    parentId: z.string().optional(),
    name: z.string().optional(),
    // a kind from a newer model is no reason to refuse the whole trace: it is drawn without one
    kind: z.enum(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']).optional().catch(undefined),
    timestamp: z.number().optional(),
    duration: z.number().optional(),
    localEndpoint: endpoint.optional(),
    remoteEndpoint: endpoint.optional(),
    annotations: z.array(z.looseObject({ timestamp: z.number(), value: z.string() })).optional(),
    // the model says strings; some reporters send numbers and booleans, which mean the same
    tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    shared: z.boolean().optional(),
    debug: z.boolean().optional(),
  }),
);

function where(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') || 'the answer';
}

function refusal(what: string, error: z.ZodError): Error {
  const first = error.issues[0];
  const detail = first ? `${where(first.path)}: ${first.message}` : error.message;
  return new Error(`Zipkin answered something that is not ${what}: ${detail}`);
}

/**
 * One trace (`GET /api/v2/trace/{id}`). Checked here, once, so the views can trust every span's
 * shape instead of drawing half a span from a proxy's error page; fields this code does not know
 * are kept, so `--json` shows everything Zipkin said.
 */
export function parseSpans(json: unknown): ZipkinSpan[] {
  const r = z.array(span).safeParse(json);
  if (!r.success) throw refusal('a list of spans', r.error);
  const spans: ZipkinSpan[] = r.data;
  return spans;
}

/** Many traces (`GET /api/v2/traces`): a list of span lists, checked the same way as one trace. */
export function parseTraces(json: unknown): ZipkinSpan[][] {
  const r = z.array(z.array(span)).safeParse(json);
  if (!r.success) throw refusal('a list of traces (lists of spans)', r.error);
  const traces: ZipkinSpan[][] = r.data;
  return traces;
}

/**
 * A trace's length in µs, from its first span's start to its last span's end: the root span alone
 * can be shorter than the trace when work goes on after the answer (a Kafka consumer).
 */
export function traceDurationUs(spans: readonly ZipkinSpan[]): number {
  const starts = spans.map((s) => s.timestamp).filter((t): t is number => t !== undefined);
  if (starts.length === 0) return 0;
  const first = Math.min(...starts);
  return Math.max(first, ...spans.map((s) => (s.timestamp ?? first) + Math.max(0, s.duration ?? 0))) - first;
}
