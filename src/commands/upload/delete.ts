import { Args } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { deleteMyTitle } from '../../lib/player/client/upload.js';

export default class UploadDelete extends FlixCommand {
  static override summary =
    'Delete a title one uploaded (everything of it: original, package, catalog, index)';
  static override description =
    "Only the uploader may delete a viewer's upload (the operator deletes any title with `flix titles delete`); another's title is refused (403), another's private one does not exist for you (404).\n\nExit codes: 0 deleted, 2 bad flags, no/invalid token or not yours, 7 cluster not running, 8 the API failed, 15 no such title.";
  static override examples = ['<%= config.bin %> upload delete "Our Trip" --user alice'];
  static override args = { title: Args.string({ description: 'title id (or name)', required: true }) };
  static override flags = viewerFlags;

  async run() {
    const { args, flags } = await this.parse(UploadDelete);
    const r = await deleteMyTitle(await viewerOf(flags), args.title);
    if (!this.jsonEnabled()) this.log(`${r.id} deleted (${r.objectsDeleted} objects)`);
    return r;
  }
}
