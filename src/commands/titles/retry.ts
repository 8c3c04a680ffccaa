import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { openDataPlane, waitForTitle } from '../../lib/ops/ingest.js';
import { retryTitle } from '../../lib/ops/titles.js';
import { IngestProgressView } from '../../lib/ops/views/ingest-view.js';

export default class TitlesRetry extends FlixCommand {
  static override summary = 'Retry a failed title from the stage it failed in';
  static override description =
    'A failed title keeps its original; its job goes back to the stage that failed (an encode, packaging or validation starts again at queueing the encodes) and the orchestrator takes it up. With --wait, follows it like `flix ingest --wait`.\n\nExit codes: 0 retried (with --wait: ready), 7 cluster not running, 13 the title has not failed (or its upload never finished: `flix ingest --resume`), 14 it failed again, 11 --wait timed out, 15 no such title.';
  static override examples = [
    '<%= config.bin %> titles retry big-trip-3fa9c2',
    '<%= config.bin %> titles retry "Big Trip" --wait --json',
  ];
  static override args = { id: Args.string({ description: 'title id (or exact title)', required: true }) };
  static override flags = {
    name: nameFlag,
    wait: Flags.boolean({
      description: 'follow the title until it is ready (or fails again)',
      default: false,
    }),
    timeout: Flags.integer({ description: 'with --wait: give up after this many seconds', default: 3600 }),
  };

  async run() {
    const { args, flags } = await this.parse(TitlesRetry);
    const plane = await openDataPlane(resolveClusterName(flags.name));
    const view = flags.wait && !this.jsonEnabled() ? new IngestProgressView() : null;
    try {
      const r = await retryTitle(plane, args.id);
      if (!this.jsonEnabled()) this.log(`Retrying ${r.id} from stage ${r.stage}.`);
      if (!flags.wait) return { ...r, status: 'processing' };
      const final = await waitForTitle(plane, r.id, (p) => view?.progress(p), {
        timeoutMs: flags.timeout * 1000,
        signal: this.signal,
        onWaiting: (what) => view?.line(what),
      });
      view?.done();
      if (!this.jsonEnabled()) this.log(`${r.id} is ready.`);
      return { ...r, status: final.title.status };
    } finally {
      view?.done();
      await plane.close();
    }
  }
}
