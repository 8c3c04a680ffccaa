/**
 * B3 propagation (Zipkin): read the caller's trace from `x-b3-*` headers or the single `b3`
 * header, start a new trace when there is none, and produce the headers for a downstream call.
 * Randomness is passed in so tests get fixed ids.
 */
import { randomFillSync } from 'node:crypto';

/** B3 trace ids of the current span. */
export interface TraceContext {
  /** 16 or 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  parentSpanId?: string;
  /** Undefined when the caller left the sampling decision to us. */
  sampled?: boolean;
  debug?: boolean;
}

/** Returns `n` random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** Random bytes are drawn 4 KiB at a time: one system call per ~170 traces, not two per trace. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

export const cryptoRandom: RandomSource = (n) => {
  if (n > pool.length) return randomFillSync(Buffer.alloc(n));
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return bytes;
};

const TRACE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ALL_ZERO = /^0+$/;

function traceId(value: string | undefined): string | undefined {
  const id = value?.trim().toLowerCase();
  return id !== undefined && TRACE_ID.test(id) && !ALL_ZERO.test(id) ? id : undefined;
}

function spanId(value: string | undefined): string | undefined {
  const id = value?.trim().toLowerCase();
  return id !== undefined && SPAN_ID.test(id) && !ALL_ZERO.test(id) ? id : undefined;
}

function hex(random: RandomSource, bytes: number): string {
  const id = Buffer.from(random(bytes)).toString('hex');
  if (id.length !== bytes * 2)
    throw new RangeError(`random source returned ${id.length / 2} bytes, not ${bytes}`);
  // An all-zero id is invalid in B3; the chance is negligible but a fake source may produce it.
  return ALL_ZERO.test(id) ? `${id.slice(0, -1)}1` : id;
}

/** The sampling decision of a B3 value: `1`/`true` sample, `0`/`false` don't, `d` debug. */
interface Sampling {
  sampled?: boolean;
  debug?: boolean;
}

function sampling(value: string | undefined, flags?: string): Sampling {
  if (flags?.trim() === '1') return { sampled: true, debug: true };
  switch (value?.trim().toLowerCase()) {
    case '1':
    case 'true':
      return { sampled: true };
    case '0':
    case 'false':
      return { sampled: false };
    case 'd':
      return { sampled: true, debug: true };
    default:
      return {};
  }
}

/** What the caller sent: a full trace, only a sampling decision, or nothing usable. */
export type ParsedB3 =
  | { kind: 'trace'; trace: TraceContext }
  | { kind: 'sampling-only'; sampled?: boolean; debug?: boolean }
  | { kind: 'none' };

function withSampling(trace: TraceContext, s: Sampling): TraceContext {
  const out = { ...trace };
  if (s.sampled !== undefined) out.sampled = s.sampled;
  if (s.debug) out.debug = true;
  return out;
}

/**
 * Parses B3 from lower-case request headers. The single `b3` header
 * (`{traceId}-{spanId}[-{sampled}[-{parentSpanId}]]`, or just `0`/`1`/`d`) wins over the
 * `x-b3-*` headers when it is valid; malformed ids are ignored rather than propagated.
 */
export function parseB3(headers: Readonly<Record<string, string | undefined>>): ParsedB3 {
  const single = headers.b3?.trim();
  if (single) {
    const parts = single.split('-');
    if (parts.length === 1) {
      const s = sampling(parts[0]);
      if (s.sampled !== undefined) return { kind: 'sampling-only', ...s };
    } else if (parts.length <= 4) {
      const [t, sp, s, parent] = parts;
      const tid = traceId(t);
      const sid = spanId(sp);
      const pid = parent === undefined ? undefined : spanId(parent);
      const decision = s === undefined ? {} : sampling(s);
      const samplingOk = s === undefined || decision.sampled !== undefined;
      if (tid && sid && samplingOk && (parent === undefined || pid)) {
        const trace: TraceContext = { traceId: tid, spanId: sid };
        if (pid) trace.parentSpanId = pid;
        return { kind: 'trace', trace: withSampling(trace, decision) };
      }
    }
  }
  const decision = sampling(headers['x-b3-sampled'], headers['x-b3-flags']);
  const tid = traceId(headers['x-b3-traceid']);
  const sid = spanId(headers['x-b3-spanid']);
  if (tid && sid) {
    const trace: TraceContext = { traceId: tid, spanId: sid };
    const pid = spanId(headers['x-b3-parentspanid']);
    if (pid) trace.parentSpanId = pid;
    return { kind: 'trace', trace: withSampling(trace, decision) };
  }
  if (decision.sampled !== undefined) return { kind: 'sampling-only', ...decision };
  return { kind: 'none' };
}

/** Starts a new trace: a 16-byte trace id and an 8-byte span id. */
export function newTrace(random: RandomSource = cryptoRandom, sampled?: boolean): TraceContext {
  const trace: TraceContext = { traceId: hex(random, 16), spanId: hex(random, 8) };
  if (sampled !== undefined) trace.sampled = sampled;
  return trace;
}

/** The caller's trace, or a new one that keeps any sampling decision the caller sent alone. */
export function resolveTrace(
  headers: Readonly<Record<string, string | undefined>>,
  random: RandomSource = cryptoRandom,
): TraceContext {
  const parsed = parseB3(headers);
  if (parsed.kind === 'trace') return parsed.trace;
  if (parsed.kind === 'none') return newTrace(random);
  const trace = newTrace(random, parsed.sampled);
  if (parsed.debug) trace.debug = true;
  return trace;
}

/** A child span of `parent`: same trace, new span id, parent = the current span. */
export function childSpan(parent: TraceContext, random: RandomSource = cryptoRandom): TraceContext {
  const child: TraceContext = {
    traceId: parent.traceId,
    spanId: hex(random, 8),
    parentSpanId: parent.spanId,
  };
  if (parent.sampled !== undefined) child.sampled = parent.sampled;
  if (parent.debug) child.debug = true;
  return child;
}

/** The multi-header B3 form of a trace. */
export function b3Headers(trace: TraceContext): Record<string, string> {
  const headers: Record<string, string> = { 'x-b3-traceid': trace.traceId, 'x-b3-spanid': trace.spanId };
  if (trace.parentSpanId) headers['x-b3-parentspanid'] = trace.parentSpanId;
  if (trace.debug) headers['x-b3-flags'] = '1';
  else if (trace.sampled !== undefined) headers['x-b3-sampled'] = trace.sampled ? '1' : '0';
  return headers;
}

/** The headers for a downstream call made within `trace`: a new child span. */
export function downstreamHeaders(
  trace: TraceContext,
  random: RandomSource = cryptoRandom,
): Record<string, string> {
  return b3Headers(childSpan(trace, random));
}
