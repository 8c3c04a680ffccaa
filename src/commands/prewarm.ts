import { Flags } from '@oclif/core';
import { edgeZoneFlag, FlixCommand, nameFlag } from '../lib/core/command.js';
import { FlixError } from '../lib/core/errors.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { openDataPlane } from '../lib/ops/ingest.js';
import { failuresError, runPrewarm } from '../lib/ops/prewarm.js';
import { PrewarmProgressView, renderPrewarm } from '../lib/ops/views/prewarm-view.js';

export default class Prewarm extends FlixCommand {
  static override summary =
    'Fill the edge caches with a title (or the most popular titles) before viewers ask';
  static override description =
    'Fetches every published object of the title through each edge (every zone, or --zone) with signed URLs, so the edge pulls from the origin what it does not hold yet, then checks with a HEAD per object that the edge now answers it from its cache. Reports per edge the objects and bytes that came from the origin, those already cached, the hit ratio of the check (1.00 when the edge holds the whole title) and the time taken.\n\nExit codes: 0 warmed, 2 bad flags (or no edge in --zone), 7 cluster not running, 8 an object could not be fetched through an edge, 12 the title is not ready yet, 14 the title failed, 15 no such title.';

  static override examples = [
    '<%= config.bin %> prewarm --title big-trip-3fa9c2',
    '<%= config.bin %> prewarm --title "Big Trip" --zone a',
    '<%= config.bin %> prewarm --top 10 --name staging --json',
  ];

  static override flags = {
    name: nameFlag,
    title: Flags.string({
      char: 't',
      description: 'title id or exact title',
      helpValue: 'ID|TITLE',
      exclusive: ['top'],
    }),
    top: Flags.integer({
      description: 'the N most popular ready titles',
      helpValue: 'N',
      min: 1,
      exclusive: ['title'],
    }),
    zone: edgeZoneFlag,
    concurrency: Flags.integer({ description: 'requests in flight per edge', default: 8, min: 1, max: 64 }),
  };

  async run() {
    const { flags } = await this.parse(Prewarm);
    if (flags.title === undefined && flags.top === undefined) {
      throw new FlixError('say what to prewarm: --title ID or --top N', {
        code: 'usage',
        nextStep: 'flix prewarm --title big-trip-3fa9c2   (or --top 10)',
      });
    }
    const cluster = resolveClusterName(flags.name);
    const plane = await openDataPlane(cluster);
    const view = new PrewarmProgressView();
    try {
      const result = await runPrewarm(
        plane,
        flags.title !== undefined ? { title: flags.title } : { top: flags.top as number },
        {
          zone: flags.zone,
          concurrency: flags.concurrency,
          signal: this.signal,
          onProgress: (p) => view.progress(p),
        },
      );
      view.done();
      if (!this.jsonEnabled()) this.log(renderPrewarm(result.titles));
      const failed = failuresError(result.titles);
      if (failed) throw failed;
      return result;
    } finally {
      view.done();
      await plane.close();
    }
  }
}
