import { Flags } from '@oclif/core';
import { resolveClusterFile } from '../lib/cluster/definition.js';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { componentJson, renderClusterTable } from '../lib/ops/views/cluster-view.js';
import { createProgress } from '../lib/ops/views/progress.js';
import { up } from '../lib/runtime/native/up.js';

export default class Up extends FlixCommand {
  static override summary = 'Start a cluster and wait until every component is healthy';
  static override description =
    `Starts a detached supervisor that brings up every engine of the cluster in dependency order (the JVM engines in parallel), each with its own data dir and log file under $FLIX_HOME/clusters/NAME/, waits until each answers through its real client, then prints the components and their endpoints. If a component fails to start, everything already started is stopped and its last log lines are shown.

Exit codes: 0 running, 3 invalid cluster file, 4 engine missing (run flix setup), 5 port busy, 6 already running, 8 a component failed to start, 11 timed out.`;

  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up --cluster ci --name ci',
    '<%= config.bin %> up --cluster ./my-cluster.yaml --name big --json',
  ];

  static override flags = {
    cluster: Flags.string({
      char: 'c',
      description: 'cluster definition: a built-in name (default, ci) or a YAML file',
      default: 'default',
      helpValue: 'FILE',
    }),
    name: nameFlag,
  };

  async run() {
    const { flags } = await this.parse(Up);
    const name = resolveClusterName(flags.name);
    const clusterFile = resolveClusterFile(flags.cluster);
    const progress = this.jsonEnabled()
      ? null
      : createProgress(`Starting cluster '${name}' (${clusterFile})`);
    try {
      const t0 = Date.now();
      const state = await up({
        name,
        clusterFile,
        signal: this.signal,
        onProgress: (s) => progress?.update(s.components),
      });
      progress?.done();
      const seconds = (Date.now() - t0) / 1000;
      if (!this.jsonEnabled()) {
        this.log(renderClusterTable(state));
        this.log(
          `\nCluster '${name}' is up in ${seconds.toFixed(1)}s. \`flix status --name ${name}\` shows it, \`flix down --name ${name}\` stops it.`,
        );
      }
      return { name, phase: state.phase, seconds, components: state.components.map((c) => componentJson(c)) };
    } finally {
      progress?.done();
    }
  }
}
