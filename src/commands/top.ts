import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { parseDurationSeconds } from '../lib/core/durations.js';
import { FlixError } from '../lib/core/errors.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { topSnapshot } from '../lib/ops/top.js';
import { plainTop, runTopLive, runTopPlain } from '../lib/ops/views/top-view.js';

export default class Top extends FlixCommand {
  static override summary =
    'A live dashboard of a running cluster: traffic, errors, breakers, caches, edges, Kafka lag';
  static override description =
    "Read from the cluster's Prometheus, which scrapes every component's /metrics every few seconds: per service the requests a second, the share of 5xx answers and the p50/p99 latency over the last minute; every dependency's circuit breaker (the worst state among a service's instances) with its calls and failures, and its bulkhead in use; EVCache hit ratio per zone; each edge's hit ratio and bytes sent; the lag of each Kafka consumer group; and the components the supervisor has down or restarting, or that Prometheus cannot scrape. On a terminal it redraws in place until q or Ctrl-C and fits an 80×24 screen; without one (a pipe, CI) it prints a plain summary every --interval. `--once` prints one summary, `--json` one snapshot.\n\nExit codes: 0 shown, 2 bad flags, 7 cluster not running or runs no Prometheus (2), 8 Prometheus did not answer.";
  static override examples = [
    '<%= config.bin %> top',
    '<%= config.bin %> top --interval 5s > top.log',
    '<%= config.bin %> top --once',
    '<%= config.bin %> top --json | jq .breakers',
  ];
  static override flags = {
    name: nameFlag,
    interval: Flags.string({ char: 'i', description: 'how often to redraw (1s, 5s)', default: '2s' }),
    once: Flags.boolean({ description: 'print one summary and exit' }),
  };

  async run() {
    const { flags } = await this.parse(Top);
    const name = resolveClusterName(flags.name);
    const seconds = parseDurationSeconds(flags.interval);
    if (seconds < 0.5 || seconds > 3600)
      throw new FlixError(`--interval ${flags.interval} is out of range`, {
        code: 'usage',
        nextStep: 'give between 0.5s and 1h; Prometheus scrapes every engines.prometheus.scrapeSeconds',
      });
    const load = () => topSnapshot(name);
    if (this.jsonEnabled()) return await load();
    const width = process.stdout.columns || 80;
    const height = process.stdout.rows || 24;
    if (flags.once) {
      this.log(plainTop(await load(), width, height));
      return;
    }
    // fail at once on a cluster that is not running or has no Prometheus, before any drawing
    await load();
    if (process.stdout.isTTY && process.stdin.isTTY) await runTopLive(load, seconds * 1000);
    else await runTopPlain(load, seconds * 1000, this.signal, (t) => process.stdout.write(t), width, height);
  }
}
