import { Args } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { openDataPlane } from '../../lib/ops/ingest.js';
import { showTitle } from '../../lib/ops/titles.js';
import { renderTitleDetails } from '../../lib/ops/views/titles-view.js';

export default class TitlesShow extends FlixCommand {
  static override summary = 'Show a title: ladder, manifests, segment count, checksums, stage timings';
  static override description =
    'The manifests are printed as signed edge URLs valid for an hour. Exit codes: 0 shown, 15 no such title, 7 cluster not running.';
  static override examples = [
    '<%= config.bin %> titles show big-trip-3fa9c2',
    '<%= config.bin %> titles show "Big Trip" --json',
  ];
  static override args = { id: Args.string({ description: 'title id (or exact title)', required: true }) };
  static override flags = { name: nameFlag };

  async run() {
    const { args, flags } = await this.parse(TitlesShow);
    const plane = await openDataPlane(resolveClusterName(flags.name));
    try {
      const details = await showTitle(plane, args.id);
      if (!this.jsonEnabled()) this.log(renderTitleDetails(details));
      return details;
    } finally {
      await plane.close();
    }
  }
}
