import { Flags } from '@oclif/core';
import { edgeZoneFlag, FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { evictTitle } from '../../lib/ops/distribution.js';
import { openDataPlane } from '../../lib/ops/ingest.js';

export default class DistributeEvict extends FlixCommand {
  static override summary = "Delete a title from the edges' caches (every zone, or one)";
  static override description =
    'The next viewer of the title on those edges is a cache miss, fetched from the origin; the next placement (a publish, the nightly window, `flix distribute --now`) puts the title back where it is still wanted. For a title that should stay off the edges, see its tier in `flix titles show`.\n\nExit codes: 0 evicted, 2 bad flags (or no edge in --zone), 7 cluster not running, 8 the distribution service did not answer, 12 the title is not ready, 15 no such title.';
  static override examples = [
    '<%= config.bin %> distribute evict --title "Big Trip"',
    '<%= config.bin %> distribute evict --title big-trip-3fa9c2 --zone b --json',
  ];
  static override flags = {
    name: nameFlag,
    title: Flags.string({
      char: 't',
      description: 'title id or exact title',
      helpValue: 'ID|TITLE',
      required: true,
    }),
    zone: edgeZoneFlag,
  };

  async run() {
    const { flags } = await this.parse(DistributeEvict);
    const plane = await openDataPlane(resolveClusterName(flags.name));
    try {
      const r = await evictTitle(plane, flags.title, flags.zone);
      if (!this.jsonEnabled()) {
        for (const e of r.edges)
          this.log(`${e.edge}: ${e.objects} object(s) of ${r.title} (${r.titleId}) evicted`);
      }
      return r;
    } finally {
      await plane.close();
    }
  }
}
