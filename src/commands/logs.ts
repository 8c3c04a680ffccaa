import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { parseDurationSeconds } from '../lib/core/durations.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { followClusterLogs, type LogsQuery, searchClusterLogs } from '../lib/ops/logs.js';
import { renderLogLine, renderLogSearch } from '../lib/ops/views/logs-view.js';
import { logLevels } from '../lib/services/log-agent/contract.js';

export default class Logs extends FlixCommand {
  static override summary = 'Search or follow the logs of every component of a cluster, in time order';
  static override description =
    "Every component's log — the flix services (JSON, with trace and user ids), the engines' own logs (Kafka, Cassandra, Elasticsearch, MariaDB, the origin), the edges' access logs and the supervisor — is followed by the cluster's log agent onto Kafka and indexed by the log collector into Elasticsearch (a daily index), and archived by the hour to the origin (bucket flix-logs). Without -f, searches the index: the newest --limit records that match, oldest first (a line is searchable a few seconds after it is written). With -f, follows the live stream from Kafka until Ctrl-C. --user takes a name or an id and finds what the services logged for that viewer's requests.\n\nExit codes: 0 answered (also when nothing matched), 2 bad flags, 7 cluster not running, 8 the index did not answer, 15 no such user.";
  static override examples = [
    '<%= config.bin %> logs --user alice --since 1h',
    '<%= config.bin %> logs -f --component gateway --level warn',
    '<%= config.bin %> logs --trace 4bf92f3577b34da6a3ce929d0e0e4736',
    '<%= config.bin %> logs --component kafka --grep "started" --json',
  ];
  static override flags = {
    name: nameFlag,
    follow: Flags.boolean({ char: 'f', description: 'follow the live stream (Kafka) until Ctrl-C' }),
    component: Flags.string({
      char: 'c',
      description:
        'a component (gateway-a-1) or every instance of a service or engine (gateway, kafka, edge)',
    }),
    zone: Flags.string({ char: 'z', description: "only this zone's components" }),
    level: Flags.option({ options: logLevels, description: 'this level and above' })(),
    user: Flags.string({
      char: 'u',
      description: "a viewer's name or id: what was logged for their requests",
    }),
    trace: Flags.string({ char: 't', description: 'one request: its trace id (x-b3-traceid)' }),
    since: Flags.string({ char: 's', description: 'records this recent: 90s, 10m, 1h, 2d', default: '1h' }),
    grep: Flags.string({ char: 'g', description: 'records whose message has these words' }),
    limit: Flags.integer({
      char: 'l',
      description: 'most records to show (search)',
      default: 200,
      min: 1,
      max: 10_000,
    }),
  };

  async run() {
    const { flags } = await this.parse(Logs);
    const name = resolveClusterName(flags.name);
    const query: LogsQuery = {
      component: flags.component,
      zone: flags.zone,
      level: flags.level,
      user: flags.user,
      traceId: flags.trace?.toLowerCase(),
      grep: flags.grep,
      since: flags.follow ? undefined : Date.now() - parseDurationSeconds(flags.since) * 1000,
      limit: flags.limit,
    };
    if (flags.follow) {
      let n = 0;
      await followClusterLogs(
        name,
        query,
        (r) => {
          n++;
          process.stdout.write(`${this.jsonEnabled() ? JSON.stringify(r) : renderLogLine(r)}\n`);
        },
        () => process.stderr.write('following the logs (Ctrl-C ends)\n'),
        this.signal,
      );
      process.stderr.write(`${n} records\n`);
      return undefined;
    }
    const { records, total } = await searchClusterLogs(name, query);
    if (!this.jsonEnabled()) this.log(renderLogSearch(records, total));
    return { total, records };
  }
}
