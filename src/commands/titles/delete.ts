import { Args } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { openDataPlane } from '../../lib/ops/ingest.js';
import { deleteTitle } from '../../lib/ops/titles.js';

export default class TitlesDelete extends FlixCommand {
  static override summary = 'Delete a title: its original, encodes, packaged files and catalog rows';
  static override description = 'Exit codes: 0 deleted, 15 no such title, 7 cluster not running.';
  static override examples = ['<%= config.bin %> titles delete big-trip-3fa9c2'];
  static override args = { id: Args.string({ description: 'title id (or exact title)', required: true }) };
  static override flags = { name: nameFlag };

  async run() {
    const { args, flags } = await this.parse(TitlesDelete);
    const plane = await openDataPlane(resolveClusterName(flags.name));
    try {
      const r = await deleteTitle(plane, args.id);
      if (!this.jsonEnabled()) this.log(`Deleted ${r.id} (${r.objectsDeleted} objects).`);
      return r;
    } finally {
      await plane.close();
    }
  }
}
