import { Args, Flags } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../lib/core/command.js';
import { parseDurationSeconds } from '../lib/core/durations.js';
import { FlixError } from '../lib/core/errors.js';
import { viewerOf } from '../lib/ops/viewer.js';
import { terminalSafe } from '../lib/ops/views/engage-view.js';
import { share } from '../lib/player/client/viewer-api.js';

export default class Share extends FlixCommand {
  static override summary = 'A signed, expiring link to a title, for another viewer (`flix play --link`)';
  static override description =
    'The link names the title, who shared it and until when, signed by the cluster. Whoever opens it still plays with their own token, their plan, and only where the title is licensed. A changed or foreign link is refused (403), an expired one too (410).\n\nExit codes: 0 made, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 13 not licensed in your region, 15 no such title.';
  static override examples = [
    '<%= config.bin %> share "Big Trip" --user alice',
    '<%= config.bin %> share "Big Trip" --user alice --expires 1d --json',
    '<%= config.bin %> play --link "$(flix share "Big Trip" --user alice --json | jq -r .link)" --user bob',
  ];
  static override args = { title: Args.string({ description: 'title name or id', required: true }) };
  static override flags = {
    ...viewerFlags,
    expires: Flags.string({
      description: 'how long the link stays valid (at most 30d)',
      default: '7d',
      helpValue: '1d',
    }),
  };

  async run() {
    const { args, flags } = await this.parse(Share);
    const seconds = parseDurationSeconds(flags.expires);
    if (seconds < 60 || seconds > 30 * 86_400)
      throw new FlixError(`--expires ${flags.expires}: a link lives from 1 minute to 30 days`, {
        code: 'usage',
        nextStep: 'write it like 7d, 12h or 30m',
      });
    const link = await share(await viewerOf(flags), args.title, seconds);
    if (!this.jsonEnabled()) this.log(`${link.link}\n  ${terminalSafe(link.title)} until ${link.expiresAt}`);
    return link;
  }
}
