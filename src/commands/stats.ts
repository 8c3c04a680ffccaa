import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../lib/core/command.js';
import { viewerOf } from '../lib/ops/viewer.js';
import { renderStats } from '../lib/ops/views/engage-view.js';
import { titleStats } from '../lib/player/client/viewer-api.js';

export default class Stats extends FlixCommand {
  static override summary = "A title's views, likes and dislikes, and the user's own vote";
  static override description =
    'Exit codes: 0 shown, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 15 no such title.';
  static override examples = [
    '<%= config.bin %> stats "Big Trip" --user alice',
    '<%= config.bin %> stats big-trip-3fa9c2 --user alice --json',
  ];
  static override args = { title: Args.string({ description: 'title name or id', required: true }) };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(Stats);
    const answer = await titleStats(await viewerOf(flags), args.title);
    if (!this.jsonEnabled()) this.log(renderStats(answer));
    return answer;
  }
}
