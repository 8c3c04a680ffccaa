import { Args, Flags } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { FlixError } from '../../lib/core/errors.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { renderComments } from '../../lib/ops/views/engage-view.js';
import { listComments } from '../../lib/player/client/viewer-api.js';
import type { CommentPage } from '../../lib/services/comments/contract.js';

export default class CommentList extends FlixCommand {
  static override summary = 'The comments on a title, newest first, a page at a time';
  static override description =
    'Each page ends with the cursor of the next (older) one. --page N walks the cursors from the newest page.\n\nExit codes: 0 listed, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 12 a cursor the API did not hand out, 15 no such title.';
  static override examples = [
    '<%= config.bin %> comment list "Big Trip" --user alice',
    '<%= config.bin %> comment list "Big Trip" --page 2 --limit 10 --user alice --json',
  ];
  static override args = { title: Args.string({ description: 'title name or id', required: true }) };
  static override flags = {
    ...viewerFlags,
    limit: Flags.integer({ char: 'l', description: 'comments per page', default: 20, min: 1, max: 100 }),
    page: Flags.integer({ char: 'p', description: 'page number, 1 = newest', default: 1, min: 1 }),
    cursor: Flags.string({ description: "start after this cursor (a page's `next`)", exclusive: ['page'] }),
  };

  async run() {
    const { args, flags } = await this.parse(CommentList);
    const viewer = await viewerOf(flags);
    let page: CommentPage = await listComments(viewer, args.title, {
      limit: flags.limit,
      cursor: flags.cursor,
    });
    for (let n = 1; n < flags.page; n++) {
      if (!page.next)
        throw new FlixError(`'${args.title}' has ${n} page${n === 1 ? '' : 's'} of ${flags.limit} comments`, {
          code: 'notFound',
          nextStep: `ask for --page ${n} or less`,
        });
      page = await listComments(viewer, args.title, { limit: flags.limit, cursor: page.next });
    }
    if (!this.jsonEnabled()) this.log(renderComments(page, args.title));
    return page;
  }
}
