import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { renderUploads } from '../../lib/ops/views/engage-view.js';
import { uploadStatus } from '../../lib/player/client/upload.js';

export default class UploadStatus extends FlixCommand {
  static override summary = 'One upload: its state, the title it became, or why it was refused';
  static override description =
    'Exit codes: 0 shown, 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 15 no such upload of yours.';
  static override examples = ['<%= config.bin %> upload status 3f9c0a… --user alice --json'];
  static override args = {
    id: Args.string({ description: 'the upload id (`flix upload list`)', required: true }),
  };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(UploadStatus);
    const u = await uploadStatus(await viewerOf(flags), args.id);
    if (!this.jsonEnabled()) this.log(renderUploads([u]));
    return u;
  }
}
