import { Flags } from '@oclif/core';
import { FlixCommand } from '../lib/core/command.js';
import { runSupervisor } from '../lib/runtime/native/supervisor.js';

export default class Supervise extends FlixCommand {
  static override hidden = true;
  static override summary = 'Run the supervisor of a cluster in the foreground (started by `flix up`)';
  static override flags = { name: Flags.string({ required: true }) };

  async run() {
    const { flags } = await this.parse(Supervise);
    process.exit(await runSupervisor(flags.name));
  }
}
