import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { viewerOf } from '../lib/ops/viewer.js';
import { renderVote } from '../lib/ops/views/engage-view.js';
import { vote } from '../lib/player/client/viewer-api.js';

export default class Unvote extends FlixCommand {
  static override summary = 'Take back your like or dislike of a title';
  static override description =
    "Votes through the ELB and gateway; the answer has the title's new counts and says whether anything changed.\n\nExit codes: 0 done (or already so), 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 13 not licensed in your region, 15 no such title.";
  static override examples = [
    '<%= config.bin %> unvote "Big Trip" --user alice',
    '<%= config.bin %> unvote big-trip-3fa9c2 --user alice --json',
  ];
  static override args = { title: Args.string({ description: 'title name or id', required: true }) };
  static override flags = {
    name: nameFlag,
    user: Flags.string({ char: 'u', description: 'vote as this user (its token file)' }),
    token: Flags.string({ description: 'API token (default: the --user token file)' }),
  };

  async run() {
    const { args, flags } = await this.parse(Unvote);
    const answer = await vote(await viewerOf(flags), args.title, null);
    if (!this.jsonEnabled()) this.log(renderVote(answer));
    return answer;
  }
}
