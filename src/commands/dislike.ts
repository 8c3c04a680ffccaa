import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags, voteDescription } from '../lib/core/command.js';
import { viewerOf } from '../lib/ops/viewer.js';
import { renderVote } from '../lib/ops/views/engage-view.js';
import { vote } from '../lib/player/client/viewer-api.js';

export default class Dislike extends FlixCommand {
  static override summary = 'Dislike a title (disliking twice counts once; a like becomes a dislike)';
  static override description = voteDescription;
  static override examples = [
    '<%= config.bin %> dislike "Big Trip" --user alice',
    '<%= config.bin %> dislike big-trip-3fa9c2 --user alice --json',
  ];
  static override args = { title: Args.string({ description: 'title name or id', required: true }) };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(Dislike);
    const answer = await vote(await viewerOf(flags), args.title, 'dislike');
    if (!this.jsonEnabled()) this.log(renderVote(answer));
    return answer;
  }
}
