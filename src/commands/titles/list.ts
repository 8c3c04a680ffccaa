import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { openDataPlane } from '../../lib/ops/ingest.js';
import { listTitleSummaries } from '../../lib/ops/titles.js';
import { renderTitleList } from '../../lib/ops/views/titles-view.js';

export default class TitlesList extends FlixCommand {
  static override summary = 'List the titles of a cluster: id, title, status, duration, renditions, size';
  static override examples = ['<%= config.bin %> titles list', '<%= config.bin %> titles list --json'];
  static override flags = { name: nameFlag };

  async run() {
    const { flags } = await this.parse(TitlesList);
    const plane = await openDataPlane(resolveClusterName(flags.name));
    try {
      const titles = await listTitleSummaries(plane);
      if (!this.jsonEnabled()) this.log(renderTitleList(titles));
      return { titles };
    } finally {
      await plane.close();
    }
  }
}
