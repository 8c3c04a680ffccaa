import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { parseDurationSeconds } from '../lib/core/durations.js';
import { FlixError } from '../lib/core/errors.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { slowestTraces, traceById } from '../lib/ops/traces.js';
import { renderSlowestTraces, renderTraceWaterfall, traceSummary } from '../lib/ops/views/trace-view.js';

export default class Trace extends FlixCommand {
  static override summary = "Draw one request's trace as a waterfall, or list the slowest traces";
  static override description =
    "Every flix service traces the requests it serves with OpenTelemetry (HTTP between services, MySQL, Cassandra and Kafka calls under them) and sends the spans to the cluster's Zipkin; B3 headers carry one trace id from the ELB down, the same id `flix play --json`, the x-b3-traceid response header and `flix logs --trace` show. `flix trace ID` draws that trace: each span's service, name, start offset and duration, the slowest hop marked. `--slowest N` lists the slowest traces of the last --since. The Zipkin UI is at the address `flix status --urls` prints.\n\nExit codes: 0 answered, 2 bad flags or trace id, 7 cluster not running, 8 Zipkin did not answer, 15 no such trace.";
  static override examples = [
    '<%= config.bin %> trace 4bf92f3577b34da6a3ce929d0e0e4736',
    '<%= config.bin %> trace --slowest 5 --since 10m',
    '<%= config.bin %> trace --slowest 3 --service playback --json',
  ];
  static override args = {
    traceId: Args.string({ description: 'a trace id (16 or 32 hex digits)' }),
  };
  static override flags = {
    name: nameFlag,
    slowest: Flags.integer({ description: 'list the N slowest traces instead', min: 1, max: 100 }),
    since: Flags.string({
      char: 's',
      description: 'with --slowest: traces this recent (90s, 10m, 1h)',
      default: '10m',
    }),
    service: Flags.string({ description: 'with --slowest: only traces through this service (playback)' }),
  };

  async run() {
    const { args, flags } = await this.parse(Trace);
    const name = resolveClusterName(flags.name);
    if (flags.slowest !== undefined) {
      const traces = await slowestTraces(name, {
        n: flags.slowest,
        sinceMs: parseDurationSeconds(flags.since) * 1000,
        service: flags.service,
      });
      if (!this.jsonEnabled()) this.log(renderSlowestTraces(traces, flags.slowest));
      return { traces: traces.map((spans) => ({ ...traceSummary(spans), spans })) };
    }
    if (!args.traceId)
      throw new FlixError('give a trace id, or --slowest N', {
        code: 'usage',
        nextStep: '`flix trace --slowest 5` lists the slowest recent traces with their ids',
      });
    const spans = await traceById(name, args.traceId);
    if (!this.jsonEnabled()) this.log(renderTraceWaterfall(spans, process.stdout.columns || 100));
    return { ...traceSummary(spans), spans };
  }
}
