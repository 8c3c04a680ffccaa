import { Args } from '@oclif/core';
import { getJob, listObjects, listTasks } from '../../lib/catalog/jobs.js';
import { clusterSecrets } from '../../lib/cluster/secrets.js';
import { FlixCommand, nameFlag } from '../../lib/command.js';
import { signedTitleUrl } from '../../lib/edge/signing/secure-link.js';
import { openDataPlane, resolveTitle } from '../../lib/ingest/client.js';
import type { JobPlan } from '../../lib/ingest/orchestrator.js';
import { resolveClusterName } from '../../lib/paths.js';
import { formatBytes } from '../../lib/ui/ingest-view.js';
import { renderTable } from '../../lib/ui/table.js';

export default class TitlesShow extends FlixCommand {
  static override summary = 'Show a title: ladder, manifests, segment count, checksums, stage timings';
  static override description = 'Exit codes: 0 shown, 15 no such title, 7 cluster not running.';
  static override examples = [
    '<%= config.bin %> titles show big-trip-3fa9c2',
    '<%= config.bin %> titles show "Big Trip" --json',
  ];
  static override args = { id: Args.string({ description: 'title id (or exact title)', required: true }) };
  static override flags = { name: nameFlag };

  async run() {
    const { args, flags } = await this.parse(TitlesShow);
    const cluster = resolveClusterName(flags.name);
    const plane = await openDataPlane(cluster);
    try {
      const t = await resolveTitle(plane, args.id);
      const job = await getJob(plane.db, t.id);
      const tasks = await listTasks(plane.db, t.id);
      const objects = await listObjects(plane.db, t.id);
      const plan = job?.plan as unknown as JobPlan | null;
      // signed URLs on the first edge, valid for an hour (docs/control-plane.md, "Signed edge URLs")
      const edge = plane.endpoints.edges[0]?.url;
      const link = { secret: (await clusterSecrets(cluster)).edgeSigningKey, expiresAt: nowSeconds() + 3600 };
      const url = (key?: string) => (key && edge ? signedTitleUrl(edge, key, link) : null);
      const result = {
        id: t.id,
        title: t.title,
        year: t.year,
        genres: t.genres,
        regions: t.regions,
        status: t.status,
        stage: job?.stage ?? null,
        error: job?.error ?? t.error,
        source: {
          file: t.sourceFile,
          key: t.sourceKey,
          bytes: t.sourceBytes,
          etag: t.sourceEtag,
          media: t.media,
        },
        ladder: plan?.ladder ?? null,
        chunks: plan?.chunks?.length ?? 0,
        manifests: plan?.hlsMaster
          ? {
              hls: plan.hlsMaster,
              dash: plan.dashManifest,
              hlsUrl: url(plan.hlsMaster),
              dashUrl: url(plan.dashManifest),
            }
          : null,
        segmentCount: objects.filter((o) => o.kind === 'segment').length,
        publishedBytes: objects.reduce((a, o) => a + o.bytes, 0),
        stageTimes: Object.fromEntries(Object.entries(job?.stageTimes ?? {}).map(([k, v]) => [k, v.seconds])),
        tasks: tasks.map((x) => ({
          id: x.taskId,
          status: x.status,
          worker: x.worker,
          encodeSeconds: x.encodeSeconds,
          deliveries: x.deliveries,
          md5: x.md5,
        })),
        objects,
      };
      if (!this.jsonEnabled()) {
        this.log(
          `${t.title} (${t.id})  ${t.status}${job ? `, stage ${job.stage}` : ''}${result.error ? `\n  error: ${result.error}` : ''}`,
        );
        this.log(
          `  source ${t.sourceFile}, ${formatBytes(t.sourceBytes)}, ${Number((t.media as { durationSeconds?: number }).durationSeconds ?? 0).toFixed(2)} s`,
        );
        if (plan?.ladder) {
          this.log('\nLadder');
          this.log(
            renderTable(
              ['rendition', 'size', 'kbps', 'encodes'],
              plan.ladder.video.map((v) => {
                const mine = tasks.filter((x) => x.rendition === v.name);
                return [
                  v.name,
                  `${v.width}x${v.height}`,
                  String(v.bitrateKbps),
                  `${mine.filter((x) => x.status === 'done').length}/${mine.length}`,
                ];
              }),
            ),
          );
        }
        if (result.manifests) this.log(`\nHLS  ${result.manifests.hlsUrl}\nDASH ${result.manifests.dashUrl}`);
        this.log(
          `\n${result.segmentCount} segments, ${objects.length} objects, ${formatBytes(result.publishedBytes)} published (MD5 of each recorded; --json lists them)`,
        );
        this.log(
          `\nStage timings: ${Object.entries(result.stageTimes)
            .map(([k, v]) => `${k} ${v === null ? '…' : `${v.toFixed(1)}s`}`)
            .join(', ')}`,
        );
      }
      return result;
    } finally {
      await plane.close();
    }
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
