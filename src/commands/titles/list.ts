import { getJob } from '../../lib/catalog/jobs.js';
import { listTitles } from '../../lib/catalog/titles.js';
import { FlixCommand, nameFlag } from '../../lib/command.js';
import { openDataPlane } from '../../lib/ingest/client.js';
import { resolveClusterName } from '../../lib/paths.js';
import { formatBytes } from '../../lib/ui/ingest-view.js';
import { renderTable } from '../../lib/ui/table.js';

export default class TitlesList extends FlixCommand {
  static override summary = 'List the titles of a cluster: id, title, status, duration, renditions, size';
  static override examples = ['<%= config.bin %> titles list', '<%= config.bin %> titles list --json'];
  static override flags = { name: nameFlag };

  async run() {
    const { flags } = await this.parse(TitlesList);
    const plane = await openDataPlane(resolveClusterName(flags.name));
    try {
      const titles = await listTitles(plane.db);
      const rows = [];
      for (const t of titles) {
        const job = await getJob(plane.db, t.id);
        const plan = job?.plan as { ladder?: { video: Array<{ name: string }> } } | null;
        rows.push({
          id: t.id,
          title: t.title,
          status: t.status,
          stage: job?.stage ?? null,
          durationSeconds: Number((t.media as { durationSeconds?: number }).durationSeconds ?? 0),
          renditions: plan?.ladder?.video.map((v) => v.name) ?? [],
          sourceBytes: t.sourceBytes,
        });
      }
      if (!this.jsonEnabled()) {
        if (rows.length === 0)
          this.log('No titles yet. `flix ingest movie.mov --title "Big Trip"` adds one.');
        else
          this.log(
            renderTable(
              ['id', 'title', 'status', 'duration', 'renditions', 'size'],
              rows.map((r) => [
                r.id,
                r.title,
                r.status === 'processing' ? `processing (${r.stage})` : r.status,
                `${r.durationSeconds.toFixed(1)}s`,
                r.renditions.join(',') || '-',
                formatBytes(r.sourceBytes),
              ]),
            ),
          );
      }
      return { titles: rows };
    } finally {
      await plane.close();
    }
  }
}
