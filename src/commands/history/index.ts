import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { renderHistory } from '../../lib/ops/views/engage-view.js';
import { history } from '../../lib/player/client/viewer-api.js';

export default class History extends FlixCommand {
  static override summary =
    "A viewer's history: the position in each title, on which device, live or compressed";
  static override description =
    "Heartbeats from every device go through Kafka to the history service; the newest by the client clock wins. History older than the cluster file's services.history.compactAfterSeconds is kept compressed (one row per user); both are shown.\n\nExit codes: 0 shown, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed.";
  static override examples = [
    '<%= config.bin %> history --user alice',
    '<%= config.bin %> history --user alice --json',
  ];
  static override flags = viewerFlags;

  async run() {
    const { flags } = await this.parse(History);
    const answer = await history(await viewerOf(flags));
    if (!this.jsonEnabled()) this.log(renderHistory(answer));
    return answer;
  }
}
