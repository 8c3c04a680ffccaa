import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { FlixError } from '../lib/core/errors.js';
import { resolveClusterName } from '../lib/core/paths.js';
import {
  collectBreakers,
  componentJson,
  renderBreakersTable,
  renderClusterTable,
} from '../lib/ops/views/cluster-view.js';
import { httpJson } from '../lib/platform/http/client.js';
import { clusterLiveness } from '../lib/runtime/native/liveness.js';

export default class Status extends FlixCommand {
  static override summary =
    'Show each component of a cluster: role, zone, state, pid, endpoint, uptime, restarts';
  static override description =
    `Reads the state the cluster's supervisor keeps. --breakers also asks every running service for its /status and shows the circuit breaker and bulkhead of each dependency it calls (state, rolling window, counts). Exit codes: 0 running (all healthy), 8 running but a component is not healthy, 7 not running.`;

  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --name ci --json',
    '<%= config.bin %> status --breakers',
  ];

  static override flags = {
    name: nameFlag,
    breakers: Flags.boolean({
      description: "show each service's circuit breakers (state, window, counts, in flight)",
    }),
  };

  async run() {
    const { flags } = await this.parse(Status);
    const name = resolveClusterName(flags.name);
    const { state, supervisorAlive } = await clusterLiveness(name);
    if (!state || !supervisorAlive) {
      throw new FlixError(`cluster '${name}' is not running`, {
        code: 'notRunning',
        nextStep: `\`flix up --name ${name}\` starts it`,
      });
    }
    const unhealthy = state.components.filter((c) => c.state !== 'healthy');
    if (!this.jsonEnabled()) {
      this.log(
        `cluster '${name}': ${state.phase}, supervisor pid ${state.supervisor.pid}, ${state.clusterFile}`,
      );
      this.log(renderClusterTable(state));
    }
    if (state.phase === 'running' && unhealthy.length > 0) this.exitWith('componentFailed');
    const breakers = flags.breakers
      ? await collectBreakers(state.components, async (url) => {
          const r = await httpJson(url, { signal: AbortSignal.timeout(2000) });
          if (r.status !== 200) throw new Error(`answered ${r.status}`);
          return r.body;
        })
      : undefined;
    if (breakers && !this.jsonEnabled()) {
      this.log('');
      this.log(renderBreakersTable(breakers));
    }
    return {
      name,
      phase: state.phase,
      runtime: state.runtime,
      clusterFile: state.clusterFile,
      supervisorPid: state.supervisor.pid,
      healthy: unhealthy.length === 0,
      components: state.components.map((c) => componentJson(c)),
      ...(breakers ? { breakers } : {}),
    };
  }
}
