import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { FlixError } from '../lib/core/errors.js';
import { resolveClusterName } from '../lib/core/paths.js';
import { openDataPlane, runIngest } from '../lib/ops/ingest.js';
import { IngestProgressView, ingestSummary } from '../lib/ops/views/ingest-view.js';

export default class Ingest extends FlixCommand {
  static override summary = 'Upload a video and turn it into an adaptive-bitrate title (HLS + DASH)';
  static override description =
    'Probes and validates the file with ffprobe before anything is written, uploads the original to the origin (multipart, each part checksummed by the server, resumable), records the title as `uploaded` and emits title.uploaded on Kafka. The orchestrator then plans a per-title ladder, queues chunk encodes (every rendition of a chunk from one decode) for the transcoder workers, packages CMAF segments with HLS and DASH manifests, validates every object and publishes.\n\nWithout --wait the command returns once the upload is safe and the job is queued; with --wait it shows each stage live (an engine restarting meanwhile is waited out) and exits non-zero if the title fails.\n\nExit codes: 0 done, 7 cluster not running, 12 the file is not usable (nothing was written), 13 a title with that name exists, 14 the upload was interrupted or the title failed (`flix titles retry` resumes a failed title), 11 --wait timed out.';

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
      description: 'comma-separated ISO 3166-1 country codes it is licensed in (* for everywhere)',
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
    const list = (s: string) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    if (!args.file && !flags.resume) {
      throw new FlixError('give a file to ingest, or --resume ID', {
        code: 'usage',
        nextStep: 'flix ingest movie.mov --title "Big Trip"',
      });
    }
    const plane = await openDataPlane(resolveClusterName(flags.name));
    const view = this.jsonEnabled() ? null : new IngestProgressView();
    try {
      const r = await runIngest(
        plane,
        {
          file: args.file,
          resume: flags.resume,
          title: flags.title,
          year: flags.year ?? null,
          genres: list(flags.genres),
          regions: flags.regions.split(','),
          wait: flags.wait,
          timeoutMs: flags.timeout * 1000,
        },
        {
          onUpload: (p) => view?.upload(p),
          onUploaded: (id) => view?.line(`uploaded ${id}; the job is queued`),
          onProgress: (p) => view?.progress(p),
          onWaiting: (what) => (view ? view.line(what) : process.stderr.write(`${what}\n`)),
          signal: this.signal,
        },
      );
      view?.done();
      if (!this.jsonEnabled()) this.log(ingestSummary(r));
      const { final: _final, ...result } = r;
      return result;
    } finally {
      view?.done();
      await plane.close();
    }
  }
}
