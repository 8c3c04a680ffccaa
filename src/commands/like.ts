import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags, voteDescription } from '../lib/core/command.js';
import { viewerOf } from '../lib/ops/viewer.js';
import { renderVote } from '../lib/ops/views/engage-view.js';
import { vote } from '../lib/player/client/viewer-api.js';

export default class Like extends FlixCommand {
  static override summary = 'Like a title (liking twice counts once; a dislike becomes a like)';
  static override description = voteDescription;
  static override examples = [
    '<%= config.bin %> like "Big Trip" --user alice',
    '<%= config.bin %> like big-trip-3fa9c2 --user alice --json',
  ];
  static override args = { title: Args.string({ description: 'title name or id', required: true }) };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(Like);
    const answer = await vote(await viewerOf(flags), args.title, 'like');
    if (!this.jsonEnabled()) this.log(renderVote(answer));
    return answer;
  }
}
