import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { issueToken, parseTtl } from '../../lib/ops/users.js';

export default class UsersToken extends FlixCommand {
  static override summary = "Issue a new API token for a user (and keep it as the user's token)";
  static override description =
    'Older tokens stay valid until they expire. Exit codes: 15 unknown user, 7 cluster not running.';
  static override examples = [
    '<%= config.bin %> users token alice',
    '<%= config.bin %> users token alice --ttl 2s --json',
  ];
  static override args = { user: Args.string({ description: 'user name or id', required: true }) };
  static override flags = {
    name: nameFlag,
    ttl: Flags.string({ description: 'how long the token is valid (90s, 15m, 12h, 30d)', default: '30d' }),
    'no-save': Flags.boolean({ description: 'print the token without replacing the saved one' }),
  };

  async run() {
    const { args, flags } = await this.parse(UsersToken);
    const cluster = resolveClusterName(flags.name);
    const issued = await issueToken(cluster, args.user, parseTtl(flags.ttl), !flags['no-save']);
    if (!this.jsonEnabled()) {
      this.logToStderr(
        `token for ${issued.user.name} valid until ${issued.expiresAt}${issued.tokenFile ? `, saved in ${issued.tokenFile}` : ''}`,
      );
      this.log(issued.token);
    }
    return issued;
  }
}
