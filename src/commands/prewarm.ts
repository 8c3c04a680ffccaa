import { Flags } from '@oclif/core';
import { clusterSecrets } from '../lib/cluster/secrets.js';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { FlixError } from '../lib/core/errors.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { renderTable } from '../lib/core/table.js';
import { openDataPlane } from '../lib/ops/ingest.js';
import {
  chooseEdges,
  type EdgeWarmReport,
  failuresError,
  prewarm,
  prewarmTitles,
  type TitleWarmReport,
} from '../lib/ops/prewarm.js';
import { PrewarmProgressView, prewarmRows } from '../lib/ops/views/prewarm-view.js';

/** Signed URLs the prewarm uses stay valid this long. */
const LINK_SECONDS = 3600;

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
    zone: Flags.string({
      char: 'z',
      description: "only this zone's edge (default: every zone)",
      helpValue: 'ZONE',
    }),
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
      const edges = chooseEdges(plane.endpoints.edges, flags.zone);
      const titles = await prewarmTitles(
        plane,
        flags.title !== undefined ? { title: flags.title } : { top: flags.top as number },
      );
      const { edgeSigningKey } = await clusterSecrets(cluster);
      const reports = await prewarm(titles, edges, {
        secret: edgeSigningKey,
        expiresAt: Math.floor(Date.now() / 1000) + LINK_SECONDS,
        concurrency: flags.concurrency,
        signal: this.signal,
        onProgress: (p) => view.progress(p),
      });
      view.done();
      const result = {
        cluster,
        edges: edges.map((e) => e.name),
        titles: reports,
        fromOriginBytes: sum(reports, (e) => e.fromOrigin.bytes),
        alreadyCachedBytes: sum(reports, (e) => e.alreadyCached.bytes),
      };
      if (!this.jsonEnabled()) {
        if (reports.length === 0) {
          this.log('No ready titles to prewarm. `flix titles list` shows the titles.');
        } else {
          this.log(
            renderTable(
              ['title', 'edge', 'objects', 'from origin', 'already cached', 'hit ratio after', 'seconds'],
              prewarmRows(reports),
            ),
          );
        }
      }
      const failed = failuresError(reports);
      if (failed) throw failed;
      return result;
    } finally {
      view.done();
      await plane.close();
    }
  }
}

function sum(reports: TitleWarmReport[], pick: (e: EdgeWarmReport) => number): number {
  return reports.reduce((a, t) => a + t.edges.reduce((b, e) => b + pick(e), 0), 0);
}
