import type { RecommendationsAnswer } from '../../services/recommendations/contract.js';
import type { TrainReport } from '../recs/train.js';
import { terminalSafe } from './engage-view.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function renderTraining(r: TrainReport): string {
  const lines = [
    `trained on ${r.views} views by ${r.users} users of ${r.titles} titles${r.source === 'synthetic' ? ' (planted taste groups)' : ''} in ${r.seconds.toFixed(1)} s`,
    ...(r.model.users === 0
      ? ['no user has 3 or more views yet: nothing was held out to measure the model on']
      : [
          `held-out views of ${r.model.users} users:`,
          `  ALS + genres  precision@${r.k} ${pct(r.model.precision)}  recall@${r.k} ${pct(r.model.recall)}`,
          `  popularity    precision@${r.k} ${pct(r.popularity.precision)}  recall@${r.k} ${pct(r.popularity.recall)}`,
          r.beatsPopularity
            ? `the model beats popularity ${(r.model.precision / Math.max(r.popularity.precision, 1e-9)).toFixed(1)}× on precision@${r.k}`
            : 'the model does NOT beat popularity on this history',
        ]),
  ];
  if (r.wrote)
    lines.push(`wrote picks for ${r.wrote.users} users and similar titles for ${r.wrote.titles} titles`);
  return lines.join('\n');
}

export function renderRecommendations(a: RecommendationsAnswer): string {
  const lines: string[] = [];
  if (a.degraded) lines.push(`degraded: ${a.reason ?? 'recommendations unavailable'} — showing the top 10`);
  if (a.rows.length === 0)
    lines.push('nothing to recommend yet: no title is ready and licensed in your region');
  for (const row of a.rows) {
    lines.push(terminalSafe(row.name));
    for (const [i, t] of row.titles.entries())
      lines.push(`  ${String(i + 1).padStart(2)}. ${terminalSafe(t.title)}  (${t.id})`);
  }
  if (a.trainedAt === null && !a.degraded) lines.push('(no trained picks for you yet: `flix recs train`)');
  return lines.join('\n');
}
