import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/command.js';
import { FlixError } from '../lib/errors.js';
import {
  ingestUpload,
  openDataPlane,
  resumeUpload,
  type TitleProgress,
  type UploadProgress,
  waitForTitle,
} from '../lib/ingest/client.js';
import { resolveClusterName } from '../lib/paths.js';
import { IngestProgressView } from '../lib/ui/ingest-view.js';

export default class Ingest extends FlixCommand {
  static override summary = 'Upload a video and turn it into an adaptive-bitrate title (HLS + DASH)';
  static override description =
    'Probes and validates the file with ffprobe before anything is written, uploads the original to the origin (multipart, each part checksummed by the server, resumable), records the title as `uploaded` and emits title.uploaded on Kafka. The orchestrator then plans a per-title ladder, queues chunk x rendition encodes for the transcoder workers, packages CMAF segments with HLS and DASH manifests, validates every object and publishes.\n\nWithout --wait the command returns once the upload is safe and the job is queued; with --wait it shows each stage live and exits non-zero if the title fails.\n\nExit codes: 0 done, 7 cluster not running, 12 the file is not usable (nothing was written), 13 a title with that name exists, 14 the upload was interrupted or the title failed, 11 --wait timed out.';

  static override examples = [
    '<%= config.bin %> ingest movie.mov --title "Big Trip" --genres drama,travel --year 2024 --regions US,DE --wait',
    '<%= config.bin %> ingest --resume big-trip-3fa9c2',
    '<%= config.bin %> ingest clip.mp4 --title "Clip" --json',
  ];

  static override args = { file: Args.string({ description: 'the video file to ingest' }) };

  static override flags = {
    name: nameFlag,
    title: Flags.string({ char: 't', description: 'title name (unique; defaults to the file name)' }),
    genres: Flags.string({ description: 'comma-separated genres', default: '' }),
    year: Flags.integer({ description: 'release year', min: 1870, max: 2100 }),
    regions: Flags.string({
      description: 'comma-separated ISO country codes it is licensed in',
      default: 'US',
    }),
    wait: Flags.boolean({
      char: 'w',
      description: 'follow the title through every stage until it is ready or failed',
    }),
    resume: Flags.string({ description: 'finish an interrupted ingest of this title id', helpValue: 'ID' }),
    timeout: Flags.integer({ description: 'with --wait: give up after this many seconds', default: 3600 }),
  };

  async run() {
    const { args, flags } = await this.parse(Ingest);
    if (!args.file && !flags.resume) {
      throw new FlixError('give a file to ingest, or --resume ID', {
        code: 'usage',
        nextStep: 'flix ingest movie.mov --title "Big Trip"',
      });
    }
    const list = (s: string) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    const cluster = resolveClusterName(flags.name);
    const plane = await openDataPlane(cluster);
    const view = this.jsonEnabled() ? null : new IngestProgressView();
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const t0 = Date.now();
    let lastUpload: UploadProgress | null = null;
    const onUpload = (p: UploadProgress) => {
      lastUpload = p;
      view?.upload(p);
    };
    try {
      let id: string;
      if (flags.resume) {
        const t = await resumeUpload(plane, flags.resume, {
          file: args.file,
          onProgress: onUpload,
          signal: abort.signal,
        });
        id = t.id;
      } else {
        const file = args.file as string;
        const title = flags.title ?? file.replace(/^.*\//, '').replace(/\.[^.]+$/, '');
        id = await ingestUpload(
          plane,
          {
            file,
            title,
            year: flags.year ?? null,
            genres: list(flags.genres),
            regions: list(flags.regions).map((r) => r.toUpperCase()),
          },
          { onProgress: onUpload, signal: abort.signal },
        );
      }
      view?.line(`uploaded ${id}; the job is queued`);
      let final: TitleProgress | null = null;
      if (flags.wait) {
        final = await waitForTitle(plane, id, (p) => view?.progress(p), {
          timeoutMs: flags.timeout * 1000,
          signal: abort.signal,
        });
      }
      view?.done();
      const seconds = (Date.now() - t0) / 1000;
      if (!this.jsonEnabled()) {
        this.log(
          final
            ? `${id} is ready in ${seconds.toFixed(1)}s: ${Object.keys(final.tasks.byRendition).filter((r) => r !== 'audio').length} video renditions from ${final.tasks.total} encodes. \`flix titles show ${id}\` for details.`
            : `${id} uploaded; follow it with \`flix titles show ${id}\` or \`flix ingest --resume ${id} --wait\`.`,
        );
      }
      const upload = lastUpload as UploadProgress | null;
      return {
        id,
        status: final ? final.title.status : 'uploaded',
        seconds,
        upload: upload
          ? { bytes: upload.bytesTotal, parts: upload.partsTotal, resumedParts: upload.resumedParts }
          : null,
        stageTimes: final
          ? Object.fromEntries(Object.entries(final.stageTimes).map(([k, v]) => [k, v.seconds]))
          : null,
      };
    } finally {
      view?.done();
      process.off('SIGINT', onSigint);
      await plane.close();
    }
  }
}
