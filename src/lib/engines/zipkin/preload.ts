/**
 * OpenTelemetry for a flix service, loaded with `node --import` before anything else so the
 * instrumentations can wrap node:http, mysql2, cassandra-driver and kafkajs as they are first
 * imported. Spans go to the cluster's Zipkin; B3 headers carry the context between services, the
 * same ids the gateway has always made, so a trace id in the logs is the trace in Zipkin.
 *
 * The tracer provider is the trace SDK alone (sdk-trace-node), not sdk-node: sdk-node also loads
 * the OTLP exporters and the metrics and logs SDKs, which every one of the cluster's dozens of
 * service processes would load and never use.
 *
 * Configured by the environment the service's driver sets: FLIX_ZIPKIN (the server), FLIX_SERVICE,
 * FLIX_COMPONENT, FLIX_ZONE, FLIX_TRACE_SAMPLING (0..1) and FLIX_TRACE_ROOTS (1 where a viewer's
 * request enters the cluster: only there does a trace begin).
 */
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

const [{ startTracing }] = await Promise.all([import('./tracing.js')]);
startTracing({
  zipkin: process.env.FLIX_ZIPKIN ?? '',
  service: process.env.FLIX_SERVICE ?? 'flix',
  component: process.env.FLIX_COMPONENT ?? '',
  zone: process.env.FLIX_ZONE || null,
  sampling: Number(process.env.FLIX_TRACE_SAMPLING ?? '1'),
  startsTraces: process.env.FLIX_TRACE_ROOTS === '1',
});
await waitForAllMessagesAcknowledged();
