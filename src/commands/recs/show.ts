import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { renderRecommendations } from '../../lib/ops/views/recs-view.js';
import { recommendations } from '../../lib/player/client/viewer-api.js';

export default class RecsShow extends FlixCommand {
  static override summary =
    "A viewer's home page rows: their picks, because you watched, popular, new, by genre";
  static override description =
    'Through the ELB and gateway. "Top picks" come from the last `flix recs train`; "Because you watched" is updated as soon as the viewer finishes a title; a new viewer gets the popular rows. When the recommendations service is down the gateway answers with its static top 10, marked degraded.\n\nExit codes: 0 shown, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed.';
  static override examples = [
    '<%= config.bin %> recs show --user alice',
    '<%= config.bin %> recs show --user alice --json',
  ];
  static override flags = viewerFlags;

  async run() {
    const { flags } = await this.parse(RecsShow);
    const answer = await recommendations(await viewerOf(flags));
    if (!this.jsonEnabled()) this.log(renderRecommendations(answer));
    return answer;
  }
}
