import { type Context, isSpanContextValid, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { CassandraDriverInstrumentation } from '@opentelemetry/instrumentation-cassandra-driver';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  /** the Zipkin server, `http://127.0.0.1:9411` */
  zipkin: string;
  service: string;
  component: string;
  zone: string | null;
  /** the share of new traces kept, 0..1 */
  sampling: number;
  /** whether a request with no trace yet starts one here */
  startsTraces: boolean;
}

/** Paths the supervisor and operators poll: a trace of each would bury the users' requests. */
const UNTRACED = /^\/(health|status|metrics)(\/|\?|$)/;

/**
 * Which spans are kept. A span under a caller's span does what the caller decided (the whole
 * trace or none of it). A new trace starts only at a request received where viewers' requests
 * enter (`startsTraces`), and then for `ratio` of them: the background work every service does
 * (discovery leases, Kafka polls, the cache's and databases' housekeeping) starts none.
 */
export class RequestSampler implements Sampler {
  private readonly ratio: TraceIdRatioBasedSampler;

  constructor(
    ratio: number,
    private readonly startsTraces: boolean,
  ) {
    this.ratio = new TraceIdRatioBasedSampler(ratio);
  }

  shouldSample(context: Context, traceId: string, _name: string, kind: SpanKind): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent && isSpanContextValid(parent))
      return {
        decision:
          (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
            ? SamplingDecision.RECORD_AND_SAMPLED
            : SamplingDecision.NOT_RECORD,
      };
    if (kind !== SpanKind.SERVER || !this.startsTraces) return { decision: SamplingDecision.NOT_RECORD };
    return this.ratio.shouldSample(context, traceId);
  }

  toString(): string {
    return `RequestSampler(${this.ratio.toString()})`;
  }
}

/** Starts the tracer of this process: spans to Zipkin in batches, context in B3 headers. */
export function startTracing(o: TracingOptions): void {
  if (!o.zipkin) return;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': o.service,
      'service.instance.id': o.component,
      ...(o.zone ? { 'cloud.availability_zone': o.zone } : {}),
    }),
    sampler: new RequestSampler(Number.isFinite(o.sampling) ? o.sampling : 1, o.startsTraces),
    spanProcessors: [
      // a second's batching: a play's trace is in Zipkin about a second after it ends
      new BatchSpanProcessor(new ZipkinExporter({ url: `${o.zipkin}/api/v2/spans` }), {
        scheduledDelayMillis: 1000,
        maxQueueSize: 4096,
      }),
    ],
  });
  provider.register({ propagator: new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }) });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED.test(req.url ?? ''),
        // a call made outside any request (a lease renewal, a health check) is no one's trace
        requireParentforOutgoingSpans: true,
      }),
      new MySQL2Instrumentation(),
      new CassandraDriverInstrumentation(),
      new KafkaJsInstrumentation(),
    ],
  });
  // what is still queued goes out when the service stops
  process.once('beforeExit', () => void provider.shutdown());
}
