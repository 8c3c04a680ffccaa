import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { FlixError } from '../../lib/core/errors.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { changeSubscription } from '../../lib/ops/users.js';

export default class UsersPlan extends FlixCommand {
  static override summary =
    "Change a user's plan, or cancel or reactivate the subscription (billing: the operator's)";
  static override description =
    "Plans and subscriptions are not changed through the public API: a user cannot give themselves a bigger plan. The plan decides the tallest rendition offered (basic 480p, standard 1080p, premium 2160p) and how many streams play at once (1, 2, 4). Players see a change once the gateway's token cache (30 s) has moved on. Exit codes: 0 changed, 2 bad plan or status, 15 unknown user, 7 cluster not running.";
  static override examples = [
    '<%= config.bin %> users plan alice premium',
    '<%= config.bin %> users plan bob basic --json',
    '<%= config.bin %> users plan bob --status cancelled',
  ];
  static override args = {
    user: Args.string({ description: 'user name or id', required: true }),
    plan: Args.string({ description: 'the new plan', options: ['basic', 'standard', 'premium'] }),
  };
  static override flags = {
    name: nameFlag,
    status: Flags.string({
      description: 'the subscription: active or cancelled',
      options: ['active', 'cancelled'],
    }),
  };

  async run() {
    const { args, flags } = await this.parse(UsersPlan);
    if (!args.plan && !flags.status) {
      throw new FlixError('say what changes: a plan, --status, or both', {
        code: 'usage',
        nextStep: 'flix users plan alice premium   (or --status cancelled)',
      });
    }
    const user = await changeSubscription(resolveClusterName(flags.name), args.user, {
      plan: args.plan,
      status: flags.status as 'active' | 'cancelled' | undefined,
    });
    if (!this.jsonEnabled()) {
      this.log(
        `${user.name}: plan ${user.plan.id} (up to ${user.plan.maxHeight}p, ${user.plan.maxStreams} stream(s)), subscription ${user.subscription.status}`,
      );
    }
    return { user };
  }
}
