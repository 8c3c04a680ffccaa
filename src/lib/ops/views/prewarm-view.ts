import { renderTable } from '../../core/table.js';
import type { PrewarmProgress, TitleWarmReport } from '../../platform/edge-fill.js';
import { formatBytes } from './ingest-view.js';

/**
 * Progress of `flix prewarm` on stderr: on a terminal one line redrawn in place, otherwise (CI) a
 * line at most every second and one when a pass ends.
 */
export class PrewarmProgressView {
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  private lastPrint = 0;
  private open = false;

  progress(p: PrewarmProgress): void {
    const finished = p.done === p.total;
    const now = Date.now();
    if (!finished && now - this.lastPrint < (this.tty ? 100 : 1000)) return;
    this.lastPrint = now;
    const what = p.phase === 'warm' ? 'warming' : 'verifying';
    const text = `${p.titleId} on ${p.edge}: ${what} ${p.done}/${p.total} objects, ${formatBytes(p.fromOriginBytes)} from the origin`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.open = true;
      if (finished && p.phase === 'verify') this.done();
    } else {
      process.stderr.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.open) process.stderr.write('\n');
    this.open = false;
  }
}

/** The human summary of a prewarm: a row per title and edge. */
export function prewarmRows(reports: TitleWarmReport[]): string[][] {
  return reports.flatMap((t) =>
    t.edges.map((e) => [
      t.id,
      e.edge,
      String(e.objects),
      `${e.fromOrigin.objects} / ${formatBytes(e.fromOrigin.bytes)}`,
      `${e.alreadyCached.objects} / ${formatBytes(e.alreadyCached.bytes)}`,
      e.verify.hitRatio === null ? '-' : e.verify.hitRatio.toFixed(2),
      e.seconds.toFixed(1),
    ]),
  );
}

/** `flix prewarm` for a person: a row per title and edge. */
export function renderPrewarm(reports: TitleWarmReport[]): string {
  if (reports.length === 0) return 'No ready titles to prewarm. `flix titles list` shows the titles.';
  return renderTable(
    ['title', 'edge', 'objects', 'from origin', 'already cached', 'hit ratio after', 'seconds'],
    prewarmRows(reports),
  );
}
