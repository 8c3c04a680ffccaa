import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { createUser, parseTtl } from '../../lib/ops/users.js';

export default class UsersCreate extends FlixCommand {
  static override summary = 'Create a user with a plan and a region, and print an API token for it';
  static override description =
    'Creates the user and an active subscription in the users service, issues an API token and keeps it in $FLIX_HOME/clusters/<name>/tokens/<user> (mode 0600) so `flix play --user <user>` finds it. Exit codes: 13 the name is taken, 12 bad name/region/plan, 7 cluster not running.';
  static override examples = [
    '<%= config.bin %> users create alice --plan premium --region US',
    '<%= config.bin %> users create bob --region DE --token-ttl 1h --json',
  ];
  static override args = {
    user: Args.string({ description: 'user name (lowercase letters, digits, _ or -)', required: true }),
  };
  static override flags = {
    name: nameFlag,
    plan: Flags.string({
      description: 'billing plan',
      options: ['basic', 'standard', 'premium'],
      default: 'standard',
    }),
    region: Flags.string({ description: 'two-letter country code (licences are per region)', default: 'US' }),
    'token-ttl': Flags.string({
      description: 'how long the token is valid (90s, 15m, 12h, 30d)',
      default: '30d',
    }),
  };

  async run() {
    const { args, flags } = await this.parse(UsersCreate);
    const cluster = resolveClusterName(flags.name);
    const created = await createUser(cluster, {
      name: args.user,
      plan: flags.plan,
      region: flags.region,
      tokenTtlSeconds: parseTtl(flags['token-ttl']),
    });
    if (!this.jsonEnabled()) {
      this.logToStderr(
        `created ${created.user.name} (${created.user.id}): plan ${created.user.plan.id}, region ${created.user.region}; token valid until ${created.expiresAt}, saved in ${created.tokenFile}`,
      );
      this.log(created.token);
    }
    return created;
  }
}
