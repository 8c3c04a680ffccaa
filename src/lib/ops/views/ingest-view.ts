import { stages } from '../../services/orchestrator/stages.js';
import type { IngestResult, TitleProgress, UploadProgress } from '../ingest.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * Progress of an ingest on stderr: upload bytes, then each stage and the encodes done per
 * rendition. On a terminal the current line is redrawn in place; otherwise a line per change.
 */
export class IngestProgressView {
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  private lastLine = '';
  private readonly printed = new Set<string>();
  private lastPrint = 0;
  private open = false;

  line(text: string): void {
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  upload(p: UploadProgress): void {
    const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const resumed = p.resumedParts ? `, ${p.resumedParts} part(s) already stored` : '';
    const text = `upload ${p.titleId}: ${pct}% ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)} (part ${p.partsDone}/${p.partsTotal}${resumed})`;
    const now = Date.now();
    if (!this.tty && p.partsDone !== p.partsTotal && now - this.lastPrint < 1000) return;
    this.lastPrint = now;
    this.show(text);
  }

  /** A viewer's upload through the API (`flix upload`): bytes the server has stored. */
  sent(label: string, done: number, total: number): void {
    const pct = total ? Math.floor((100 * done) / total) : 100;
    const now = Date.now();
    if (!this.tty && done !== total && now - this.lastPrint < 1000) return;
    this.lastPrint = now;
    this.show(`upload ${label}: ${pct}% ${formatBytes(done)} / ${formatBytes(total)}`);
  }

  progress(p: TitleProgress): void {
    // a line for every stage that has finished, in order, also those finished between two polls
    for (const stage of stages) {
      const t = p.stageTimes[stage]?.seconds;
      if (t === null || t === undefined || this.printed.has(stage)) continue;
      this.printed.add(stage);
      this.line(`  ${stage.padEnd(9)} done in ${t.toFixed(1)}s`);
    }
    if (p.stage === 'published' || p.stage === 'failed') return;
    const renditions = Object.entries(p.tasks.byRendition)
      .map(([r, c]) => `${r} ${c.done}/${c.total}`)
      .join('  ');
    const detail = p.stage === 'encode' || p.stage === 'queue' ? `  ${renditions}` : '';
    this.show(`  ${String(p.stage ?? 'waiting for the orchestrator').padEnd(9)} …${detail}`);
  }

  done(): void {
    this.clear();
  }

  private show(text: string): void {
    if (text === this.lastLine) return;
    this.lastLine = text;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.open = true;
    } else {
      process.stderr.write(`${text}\n`);
    }
  }

  private clear(): void {
    if (this.tty && this.open) process.stderr.write('\r\x1b[2K');
    this.open = false;
  }
}

/** The line `flix ingest` ends with. */
export function ingestSummary(r: IngestResult): string {
  if (!r.final) {
    return `${r.id} uploaded; follow it with \`flix titles show ${r.id}\` or \`flix ingest --resume ${r.id} --wait\`.`;
  }
  const renditions = Object.keys(r.final.tasks.byRendition).filter((x) => x !== 'audio').length;
  return `${r.id} is ready in ${r.seconds.toFixed(1)}s: ${renditions} video renditions from ${r.final.tasks.total} encodes. \`flix titles show ${r.id}\` for details.`;
}
