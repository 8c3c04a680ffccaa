import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { terminalSafe } from '../../lib/ops/views/engage-view.js';
import { addComment } from '../../lib/player/client/viewer-api.js';

export default class CommentAdd extends FlixCommand {
  static override summary = 'Comment on a title (any script and emoji; line breaks kept)';
  static override description =
    'Exit codes: 0 added, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed or too many comments a minute (429), 12 empty or over-long text, 13 not licensed in your region, 15 no such title.';
  static override examples = [
    '<%= config.bin %> comment add "Big Trip" "Loved the ending" --user alice',
    '<%= config.bin %> comment add "Big Trip" "最後が最高 🎬" --user alice --json',
  ];
  static override args = {
    title: Args.string({ description: 'title name or id', required: true }),
    text: Args.string({ description: 'the comment', required: true }),
  };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(CommentAdd);
    const c = await addComment(await viewerOf(flags), args.title, args.text);
    if (!this.jsonEnabled()) this.log(`comment ${c.id} added to ${terminalSafe(args.title)}`);
    return c;
  }
}
