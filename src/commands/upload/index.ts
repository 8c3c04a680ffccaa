import { Args, Flags } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../../lib/core/command.js';
import { viewerUpload } from '../../lib/ops/upload.js';
import { viewerOf } from '../../lib/ops/viewer.js';
import { terminalSafe } from '../../lib/ops/views/engage-view.js';
import { IngestProgressView } from '../../lib/ops/views/ingest-view.js';
import { VISIBILITIES, type Visibility } from '../../lib/services/catalog/contract.js';

export default class Upload extends FlixCommand {
  static override summary =
    "A viewer's upload through the public API (tus, resumable), ingested as their own title";
  static override description =
    "The file goes up through the ELB and gateway to the uploads service in chunks (the tus protocol); every stored part is kept in the origin, so an upload cut short — Ctrl-C, a lost connection, a restarted service — resumes from the last stored part when the same command runs again. Once the last byte is stored the file gets the same validation as `flix ingest` (a non-video is refused and nothing of it is kept), becomes a title owned by the user and goes through ingest. Only its uploader (and the operator, `flix titles delete`) can delete it; `--visibility` says who sees it: public (lists, search), unlisted (whoever has its id or a link) or private (only the uploader). Per-user quotas (size, uploads and bytes per 24 hours) are the cluster file's services.uploads.\n\nExit codes: 0 uploaded (with --wait: ready), 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 11 --wait timed out, 12 refused: not a usable video, too big, bad details, 13 refused: the title exists or the quota is used up, 14 interrupted (run it again to resume) or the title failed in ingest.";
  static override examples = [
    '<%= config.bin %> upload movie.mov --user alice --title "Our Trip"',
    '<%= config.bin %> upload "Ferien am Meer.mp4" --user alice --visibility unlisted --genres travel --year 2026 --wait',
    '<%= config.bin %> upload list --user alice',
  ];
  static override args = { file: Args.string({ description: 'the video file', required: true }) };
  static override flags = {
    ...viewerFlags,
    title: Flags.string({
      char: 't',
      description: 'the title (default: the file name without its extension)',
    }),
    visibility: Flags.string({ description: 'who sees it', options: [...VISIBILITIES], default: 'public' }),
    genres: Flags.string({ description: 'comma-separated genres', helpValue: 'drama,travel' }),
    year: Flags.integer({ description: 'release year' }),
    wait: Flags.boolean({ description: 'follow the title through ingest until it is ready', default: false }),
    timeout: Flags.integer({ description: 'with --wait: give up after this many seconds', default: 3600 }),
    'chunk-mib': Flags.integer({
      description:
        'MiB per upload request; a multiple of 8 (the service stores 8 MiB parts) keeps every request whole on the server when an upload is cut',
      default: 16,
      min: 1,
      max: 64,
    }),
  };

  async run() {
    const { args, flags } = await this.parse(Upload);
    const viewer = await viewerOf(flags);
    const view = this.jsonEnabled() ? null : new IngestProgressView();
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    let said = '';
    process.once('SIGINT', onSigint);
    try {
      const r = await viewerUpload(
        viewer,
        args.file,
        {
          title: flags.title,
          visibility: flags.visibility as Visibility,
          genres: flags.genres
            ?.split(',')
            .map((g) => g.trim())
            .filter(Boolean),
          year: flags.year,
        },
        {
          wait: flags.wait,
          timeoutMs: flags.timeout * 1000,
          chunkBytes: flags['chunk-mib'] * 1024 * 1024,
          onProgress: (sent, total) => view?.sent(terminalSafe(args.file), sent, total),
          onStatus: (u) => {
            const now = `  ${u.titleId}: ${u.titleStatus ?? u.state}`;
            if (now !== said) view?.line(now);
            said = now;
          },
          signal: abort.signal,
        },
      );
      view?.done();
      if (view) {
        const resumed = r.resumedFrom > 0 ? ` (resumed at ${r.resumedFrom} bytes)` : '';
        this.log(
          r.final
            ? `${r.titleId} is ready in ${r.seconds.toFixed(1)}s${resumed}: \`flix play ${r.titleId} --user ${viewer.user ?? '<user>'}\``
            : `${r.titleId} uploaded in ${r.seconds.toFixed(1)}s${resumed}; ingest goes on in the cluster: \`flix upload status ${r.uploadId} --user ${viewer.user ?? '<user>'}\``,
        );
      }
      return r;
    } catch (e) {
      view?.done();
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
