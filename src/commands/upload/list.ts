import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { renderUploads } from '../../lib/ops/views/engage-view.js';
import { listMyUploads } from '../../lib/player/client/upload.js';

export default class UploadList extends FlixCommand {
  static override summary = "A viewer's uploads, newest first, and what is left of their quota";
  static override description =
    'Each upload with its state (receiving, received, accepted, refused, cancelled), the title it became and where that title is in ingest.\n\nExit codes: 0 shown, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed.';
  static override examples = [
    '<%= config.bin %> upload list --user alice',
    '<%= config.bin %> upload list --user alice --json',
  ];
  static override flags = viewerFlags;

  async run() {
    const { flags } = await this.parse(UploadList);
    const answer = await listMyUploads(await viewerOf(flags));
    if (!this.jsonEnabled()) this.log(renderUploads(answer.uploads, answer.quota));
    return answer;
  }
}
