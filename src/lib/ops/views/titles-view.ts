import { renderTable } from '../../core/table.js';
import type { TitleDetails, TitleSummary } from '../titles.js';
import { formatBytes } from './ingest-view.js';

/** `flix titles list` for a person. */
export function renderTitleList(rows: TitleSummary[]): string {
  if (rows.length === 0) return 'No titles yet. `flix ingest movie.mov --title "Big Trip"` adds one.';
  return renderTable(
    ['id', 'title', 'status', 'duration', 'renditions', 'size'],
    rows.map((r) => [
      r.id,
      r.title,
      r.status === 'processing' ? `processing (${r.stage})` : r.status,
      `${r.durationSeconds.toFixed(1)}s`,
      r.renditions.join(',') || '-',
      formatBytes(r.sourceBytes),
    ]),
  );
}

/** `flix titles show` for a person: status, source, ladder with encodes done, manifests, timings. */
export function renderTitleDetails(t: TitleDetails): string {
  const out: string[] = [];
  out.push(`${t.title} (${t.id})  ${t.status}${t.stage ? `, stage ${t.stage}` : ''}`);
  if (t.status === 'failed') {
    if (t.error) out.push(`  error: ${t.error}`);
    if (t.failedStage)
      out.push(`  failed in ${t.failedStage}: \`flix titles retry ${t.id}\` resumes it there`);
  } else if (t.attempts > 0) {
    const next = t.retryAt ? `, next try ${t.retryAt}` : '';
    out.push(`  waiting for an engine: ${t.attempts} failed attempt${t.attempts === 1 ? '' : 's'}${next}`);
    if (t.error) out.push(`  last error: ${t.error}`);
  } else if (t.error) out.push(`  error: ${t.error}`);
  const duration = Number((t.source.media as { durationSeconds?: number }).durationSeconds ?? 0);
  out.push(`  source ${t.source.file}, ${formatBytes(t.source.bytes)}, ${duration.toFixed(2)} s`);
  if (t.ladder) {
    out.push('\nLadder');
    out.push(
      renderTable(
        ['rendition', 'size', 'kbps', 'encodes'],
        t.ladder.video.map((v) => {
          const mine = t.tasks.filter((x) => x.rendition === v.name);
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
  if (t.manifests) out.push(`\nHLS  ${t.manifests.hlsUrl}\nDASH ${t.manifests.dashUrl}`);
  out.push(
    `\n${t.segmentCount} segments, ${t.objects.length} objects, ${formatBytes(t.publishedBytes)} published (MD5 of each recorded; --json lists them)`,
  );
  if (t.status === 'ready') {
    const d = t.distribution;
    const tier = d.tier
      ? { hot: 'hot (on every edge)', warm: 'warm (on some edges)', origin: 'origin (served uncached)' }[
          d.tier
        ]
      : 'not placed yet';
    out.push(`\nDistribution: tier ${tier}${d.decidedAt ? `, decided ${d.decidedAt}` : ''}`);
    out.push(
      renderTable(
        ['edge', 'zone', 'holds', 'bytes', ''],
        d.edges.map((e) => [
          e.edge,
          e.zone,
          `${e.heldObjects}/${e.objects}`,
          formatBytes(e.heldBytes),
          e.distributed ? 'distributed' : d.placedOn.includes(e.edge) ? 'filling' : '',
        ]),
      ),
    );
  }
  out.push(
    `\nStage timings: ${Object.entries(t.stageTimes)
      .map(([k, v]) => `${k} ${v === null ? '…' : `${v.toFixed(1)}s`}`)
      .join(', ')}`,
  );
  return out.join('\n');
}
