import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { deleteComment } from '../../lib/player/client/viewer-api.js';

export default class CommentDelete extends FlixCommand {
  static override summary = 'Delete one of your own comments';
  static override description =
    "Exit codes: 0 deleted, 2 bad flags, no/invalid token or another user's comment (403), 7 cluster not running, 8 the API failed, 15 no such title or comment.";
  static override examples = ['<%= config.bin %> comment delete "Big Trip" 5b1f0c2e-... --user alice'];
  static override args = {
    title: Args.string({ description: 'title name or id', required: true }),
    id: Args.string({ description: 'the comment id (from `flix comment list`)', required: true }),
  };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(CommentDelete);
    await deleteComment(await viewerOf(flags), args.title, args.id);
    if (!this.jsonEnabled()) this.log(`comment ${args.id} deleted`);
    return { deleted: args.id };
  }
}
