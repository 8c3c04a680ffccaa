import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { renderTable } from '../../lib/core/table.js';
import { listUsers } from '../../lib/ops/users.js';

export default class UsersList extends FlixCommand {
  static override summary = 'List the users of a cluster with their plan, region and subscription';
  static override examples = ['<%= config.bin %> users list', '<%= config.bin %> users list --json'];
  static override flags = { name: nameFlag };

  async run() {
    const { flags } = await this.parse(UsersList);
    const users = await listUsers(resolveClusterName(flags.name));
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['user', 'id', 'plan', 'region', 'subscription', 'created'],
          users.map((u) => [u.name, u.id, u.plan.id, u.region, u.subscription.status, u.createdAt]),
        ),
      );
    }
    return { users };
  }
}
