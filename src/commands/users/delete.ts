import { Args } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { deleteUser } from '../../lib/ops/users.js';

export default class UsersDelete extends FlixCommand {
  static override summary = 'Delete a user with their subscription and every token they had';
  static override description =
    'Their tokens stop working at once (a gateway that verified one in the last 30 s keeps it until its cache moves on). Exit codes: 0 deleted, 15 unknown user, 7 cluster not running.';
  static override examples = [
    '<%= config.bin %> users delete bob',
    '<%= config.bin %> users delete bob --json',
  ];
  static override args = { user: Args.string({ description: 'user name or id', required: true }) };
  static override flags = { name: nameFlag };

  async run() {
    const { args, flags } = await this.parse(UsersDelete);
    await deleteUser(resolveClusterName(flags.name), args.user);
    if (!this.jsonEnabled()) this.log(`Deleted ${args.user}.`);
    return { deleted: args.user };
  }
}
