import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { createProgress } from '../lib/ops/views/progress.js';
import { down } from '../lib/runtime/native/down.js';

export default class Down extends FlixCommand {
  static override summary = 'Stop a cluster: nothing left running, no port left open';
  static override description =
    `Asks the cluster's supervisor to stop every component in reverse dependency order: SIGTERM, then SIGKILL after the cluster file's stopSeconds. If the supervisor has died, its components are stopped directly. --purge also deletes the cluster's data, logs and state.

Exit codes: 0 stopped, 7 not running.`;

  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --name ci --purge'];

  static override flags = {
    name: nameFlag,
    purge: Flags.boolean({ description: 'also delete the data, logs and state of the cluster' }),
  };

  async run() {
    const { flags } = await this.parse(Down);
    const name = resolveClusterName(flags.name);
    const progress = this.jsonEnabled() ? null : createProgress(`Stopping cluster '${name}'`);
    try {
      const result = await down({
        name,
        purge: flags.purge,
        onProgress: (s) => progress?.update(s.components),
      });
      progress?.done();
      if (!this.jsonEnabled()) {
        if (result.orphansStopped.length > 0) {
          this.log(`Stopped without a supervisor (it had died): ${result.orphansStopped.join(', ')}`);
        }
        this.log(
          `Cluster '${name}' is down (${result.seconds.toFixed(1)}s)${result.purged ? '; its data is deleted' : ''}.`,
        );
      }
      return result;
    } finally {
      progress?.done();
    }
  }
}
