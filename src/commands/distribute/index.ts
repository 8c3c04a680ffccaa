import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { FlixError } from '../../lib/core/errors.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { runDistribution } from '../../lib/ops/distribution.js';
import { renderRun } from '../../lib/ops/views/distribution-view.js';

export default class Distribute extends FlixCommand {
  static override summary =
    "Place titles on the edges now, as the nightly window would (Open Connect's fill)";
  static override description =
    "The distribution service places every ready title on the edges by predicted plays per zone: new titles first, then the most played in each zone (plays there, plus plays elsewhere divided by the zones), whole titles while they fit each edge's budget (services.distribution.edgeBudget). It evicts what no longer fits, fills what is missing (paced at fillMbps) and sets each title's tier: hot on every edge, warm on some, origin on none (served through the edges without caching). It runs by itself when a title is published and in the nightly window; --now runs it at once and waits for it.\n\nExit codes: 0 placed, 2 bad flags, 7 cluster not running, 8 the placement failed, 11 --timeout passed.";
  static override examples = [
    '<%= config.bin %> distribute --now',
    '<%= config.bin %> distribute --now --json',
    '<%= config.bin %> distribute status',
  ];
  static override flags = {
    name: nameFlag,
    now: Flags.boolean({ description: 'run the placement now and wait for it', default: false }),
    timeout: Flags.integer({ description: 'give up waiting after this many seconds', default: 600, min: 1 }),
  };

  async run() {
    const { flags } = await this.parse(Distribute);
    if (!flags.now) {
      throw new FlixError(
        'say what to do: --now runs the placement, `flix distribute status` shows the edges',
        {
          code: 'usage',
          nextStep: 'flix distribute --now',
        },
      );
    }
    let said = false;
    const run = await runDistribution(resolveClusterName(flags.name), {
      timeoutMs: flags.timeout * 1000,
      signal: this.signal,
      onProgress: (r) => {
        if (said || this.jsonEnabled()) return;
        said = true;
        process.stderr.write(`placement ${r.id} ${r.state}…\n`);
      },
    });
    if (!this.jsonEnabled()) this.log(renderRun(run));
    return run;
  }
}
