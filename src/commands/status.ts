import { FlixCommand, nameFlag } from '../lib/command.js';
import { FlixError } from '../lib/errors.js';
import { resolveClusterName } from '../lib/paths.js';
import { clusterLiveness } from '../lib/runtime/native/liveness.js';
import { componentJson, renderClusterTable } from '../lib/ui/cluster-view.js';

export default class Status extends FlixCommand {
  static override summary =
    'Show each component of a cluster: role, zone, state, pid, endpoint, uptime, restarts';
  static override description =
    `Reads the state the cluster's supervisor keeps. Exit codes: 0 running (all healthy), 8 running but a component is not healthy, 7 not running.`;

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --name ci --json'];

  static override flags = { name: nameFlag };

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
    if (state.phase === 'running' && unhealthy.length > 0) process.exitCode = 8;
    return {
      name,
      phase: state.phase,
      runtime: state.runtime,
      clusterFile: state.clusterFile,
      supervisorPid: state.supervisor.pid,
      healthy: unhealthy.length === 0,
      components: state.components.map((c) => componentJson(c)),
    };
  }
}
