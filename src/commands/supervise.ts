import { Flags } from '@oclif/core';
import { readJson } from '../lib/cluster/state.js';
import { FlixCommand } from '../lib/command.js';
import { FlixError } from '../lib/errors.js';
import { clusterPaths, enginesDir } from '../lib/paths.js';
import type { SupervisorPlan } from '../lib/runtime/native/plan-file.js';
import { engineRunAs } from '../lib/runtime/native/run-as.js';
import { Supervisor } from '../lib/runtime/native/supervisor.js';

export default class Supervise extends FlixCommand {
  static override hidden = true;
  static override summary = 'Run the supervisor of a cluster in the foreground (started by `flix up`)';
  static override flags = { name: Flags.string({ required: true }) };

  async run() {
    const { flags } = await this.parse(Supervise);
    const paths = clusterPaths(flags.name);
    const plan = await readJson<SupervisorPlan>(paths.plan);
    if (!plan)
      throw new FlixError(`no plan for cluster '${flags.name}'`, {
        code: 'notRunning',
        nextStep: 'use `flix up`',
      });
    const runAs = engineRunAs();
    const supervisor = new Supervisor(plan, paths, {
      clusterName: plan.name,
      enginesDir: enginesDir(),
      runAs: runAs === 'missing' ? null : runAs,
    });
    const code = await supervisor.run();
    process.exit(code);
  }
}
