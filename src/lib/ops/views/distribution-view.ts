import { renderTable } from '../../core/table.js';
import type { DistributionRun, DistributionStatus } from '../../services/distribution/contract.js';
import { formatBytes } from './ingest-view.js';

const ratio = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)} %`);

/** `flix distribute --now`: per edge what the placement filled and evicted, and the tiers. */
export function renderRun(run: DistributionRun): string {
  const tiers = Object.values(run.tiers);
  const count = (t: string) => tiers.filter((x) => x === t).length;
  const lines = [
    `Placement ${run.id} (${run.reason}) ${run.state}: ${tiers.length} titles — ${count('hot')} hot, ${count('warm')} warm, ${count('origin')} origin`,
    renderTable(
      ['edge', 'zone', 'filled', 'bytes', 'evicted', 'failures', 'seconds'],
      run.edges.map((e) => [
        e.edge,
        e.zone,
        String(e.filled.length),
        formatBytes(e.filled.reduce((a, f) => a + f.bytes, 0)),
        String(e.evicted.length),
        String(e.failures),
        e.seconds.toFixed(1),
      ]),
    ),
  ];
  return lines.join('\n');
}

/** `flix distribute status`: per edge its budget, what it holds and the predicted hit ratio. */
export function renderStatus(s: DistributionStatus): string {
  const last = s.lastRun
    ? `last placement ${s.lastRun.finishedAt} (${s.lastRun.reason}, ${s.lastRun.state})`
    : 'no placement yet';
  return [
    `Nightly window ${s.window.start} for ${s.window.hours} h, fills paced at ${s.fillMbps} Mbit/s; ${last}`,
    renderTable(
      ['edge', 'zone', 'regions', 'titles', 'held', 'budget', 'used', 'predicted hits'],
      s.edges.map((e) => [
        e.edge,
        e.zone,
        e.regions.join(','),
        String(e.placedTitles.length),
        formatBytes(e.heldBytes),
        formatBytes(e.budgetBytes),
        `${((e.heldBytes / Math.max(1, e.budgetBytes)) * 100).toFixed(0)} %`,
        ratio(e.predictedHitRatio),
      ]),
    ),
  ].join('\n');
}
