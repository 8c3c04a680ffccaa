import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { clusterStatus } from '../lib/ops/status.js';
import { componentJson, renderBreakersTable, renderClusterTable } from '../lib/ops/views/cluster-view.js';
import { renderCredentials, renderUrls } from '../lib/ops/views/status-view.js';

export default class Status extends FlixCommand {
  static override summary =
    'Show each component of a cluster: role, zone, state, pid, endpoint, uptime, restarts';
  static override description =
    `Reads the state the cluster's supervisor keeps. --breakers also asks every running service (as the operator) for its /status and shows the circuit breaker and bulkhead of each dependency it calls (state, rolling window, counts); --credentials shows the origin's keys and the MySQL accounts made for this cluster; --urls the addresses an operator opens (the public API, the Zipkin UI, Elasticsearch, the origin, the edges). Exit codes: 0 running (all healthy), 8 running but a component is not healthy, 7 not running.`;

  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --name ci --json',
    '<%= config.bin %> status --breakers',
    '<%= config.bin %> status --credentials --json',
    '<%= config.bin %> status --urls',
  ];

  static override flags = {
    name: nameFlag,
    breakers: Flags.boolean({
      description: "show each service's circuit breakers (state, window, counts, in flight)",
    }),
    credentials: Flags.boolean({
      description: "show the accounts of the cluster's engines (origin keys, MySQL passwords)",
    }),
    urls: Flags.boolean({
      description:
        'show the addresses to open: the public API, the Zipkin UI, Elasticsearch, the origin, the edges',
    }),
  };

  async run() {
    const { flags } = await this.parse(Status);
    const name = resolveClusterName(flags.name);
    const { state, unhealthy, breakers, credentials, urls } = await clusterStatus(name, flags);
    if (!this.jsonEnabled()) {
      this.log(
        `cluster '${name}': ${state.phase}, supervisor pid ${state.supervisor.pid}, ${state.clusterFile}`,
      );
      this.log(renderClusterTable(state));
      if (breakers) this.log(`\n${renderBreakersTable(breakers)}`);
      if (credentials) this.log(`\n${renderCredentials(credentials)}`);
      if (urls) this.log(`\n${renderUrls(urls)}`);
    }
    if (state.phase === 'running' && unhealthy.length > 0) this.exitWith('componentFailed');
    return {
      name,
      phase: state.phase,
      runtime: state.runtime,
      clusterFile: state.clusterFile,
      supervisorPid: state.supervisor.pid,
      healthy: unhealthy.length === 0,
      components: state.components.map((c) => componentJson(c)),
      ...(breakers ? { breakers } : {}),
      ...(credentials ? { credentials } : {}),
      ...(urls ? { urls } : {}),
    };
  }
}
