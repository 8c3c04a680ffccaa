import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { distributionStatus } from '../../lib/ops/distribution.js';
import { renderStatus } from '../../lib/ops/views/distribution-view.js';

export default class DistributeStatus extends FlixCommand {
  static override summary =
    'Show per edge what the distribution placed there, its budget and the predicted hit ratio';
  static override description =
    "Per edge: the regions its zone serves, the titles the last placement put there, the bytes its disk holds of them against its budget, and the predicted hit ratio — the share of the zone's predicted plays that land on titles the edge holds. Exit codes: 0 shown, 7 cluster not running, 8 the distribution service did not answer.";
  static override examples = [
    '<%= config.bin %> distribute status',
    '<%= config.bin %> distribute status --json',
  ];
  static override flags = { name: nameFlag };

  async run() {
    const { flags } = await this.parse(DistributeStatus);
    const status = await distributionStatus(resolveClusterName(flags.name));
    if (!this.jsonEnabled()) this.log(renderStatus(status));
    return status;
  }
}
