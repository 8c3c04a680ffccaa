import { z } from 'zod';

/** Zipkin's v2 span, as its API answers (timestamps and durations in microseconds). */
const endpoint = z.looseObject({
  serviceName: z.string().optional(),
  ipv4: z.string().optional(),
  port: z.number().optional(),
});

const span = z.looseObject({
  traceId: z.string(),
  id: z.string(),
  parentId: z.string().optional(),
  name: z.string().optional(),
  kind: z.enum(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']).optional(),
  timestamp: z.number().optional(),
  duration: z.number().optional(),
  localEndpoint: endpoint.optional(),
  remoteEndpoint: endpoint.optional(),
  tags: z.record(z.string(), z.string()).optional(),
  shared: z.boolean().optional(),
});

export type ZipkinSpan = z.infer<typeof span>;

/** One trace (`GET /api/v2/trace/{id}`): checked, so a view never draws half a span. */
export function parseSpans(json: unknown): ZipkinSpan[] {
  const r = z.array(span).safeParse(json);
  if (!r.success)
    throw new Error(`Zipkin answered something that is not a list of spans: ${r.error.message}`);
  return r.data;
}

/** Many traces (`GET /api/v2/traces`). */
export function parseTraces(json: unknown): ZipkinSpan[][] {
  const r = z.array(z.array(span)).safeParse(json);
  if (!r.success)
    throw new Error(`Zipkin answered something that is not a list of traces: ${r.error.message}`);
  return r.data;
}

/** A trace's span of time in µs: from its first span's start to its last span's end. */
export function traceDurationUs(spans: readonly ZipkinSpan[]): number {
  const starts = spans.map((s) => s.timestamp).filter((t): t is number => t !== undefined);
  if (starts.length === 0) return 0;
  const first = Math.min(...starts);
  return Math.max(first, ...spans.map((s) => (s.timestamp ?? first) + (s.duration ?? 0))) - first;
}
