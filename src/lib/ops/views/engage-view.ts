import { renderTable } from '../../core/table.js';
import type { CommentPage } from '../../services/comments/contract.js';
import type { HistoryAnswer } from '../../services/history/contract.js';
import type { SearchAnswer } from '../../services/search/contract.js';
import type { StatsAnswer, VoteAnswer } from '../../services/stats/contract.js';
import type { UploadQuota, UploadView } from '../../services/uploads/contract.js';

/** What viewers wrote, safe on a terminal: control and bidi-override characters shown as escapes. */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\t' ? '  ' : `\\u{${c.codePointAt(0)?.toString(16)}}`,
  );
}

export function renderSearch(a: SearchAnswer): string {
  const lines: string[] = [];
  if (a.degraded)
    lines.push(
      `degraded: ${a.reason ?? 'search index unavailable'} — exact word matches only, no typo tolerance`,
    );
  if (a.hits.length === 0) lines.push(`no titles match ${JSON.stringify(a.query)}`);
  else
    lines.push(
      renderTable(
        ['id', 'title', 'year', 'genres', 'plays', 'score'],
        a.hits.map((h) => [
          h.id,
          terminalSafe(h.title),
          h.year === null ? '-' : String(h.year),
          h.genres.join(',') || '-',
          String(h.popularity),
          h.score === null ? '-' : h.score.toFixed(2),
        ]),
      ),
    );
  return lines.join('\n');
}

export function renderStats(s: StatsAnswer): string {
  return [
    `${terminalSafe(s.title)} (${s.titleId})`,
    `  views ${s.views}  likes ${s.likes}  dislikes ${s.dislikes}`,
    `  your vote: ${s.myVote ?? 'none'}`,
  ].join('\n');
}

export function renderVote(v: VoteAnswer): string {
  const head = v.changed
    ? `your vote on ${terminalSafe(v.title)} is now ${v.myVote ?? 'none'}`
    : `your vote on ${terminalSafe(v.title)} was already ${v.myVote ?? 'none'}`;
  return `${head}\n  likes ${v.likes}  dislikes ${v.dislikes}  views ${v.views}`;
}

export function renderComments(p: CommentPage, title: string): string {
  if (p.comments.length === 0) return `no comments on ${terminalSafe(title)}${p.next ? '' : ' (yet)'}`;
  const blocks = p.comments.map((c) => {
    const text = terminalSafe(c.text)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    return `${terminalSafe(c.userId)} · ${c.createdAt.replace('T', ' ').slice(0, 19)} · ${c.id}\n${text}`;
  });
  if (p.next) blocks.push(`more: --cursor ${p.next}`);
  return blocks.join('\n\n');
}

export function renderHistory(h: HistoryAnswer): string {
  const rows = [
    ...h.live.map((e) => ({ ...e, kept: 'live' })),
    ...h.compressed.map((e) => ({ ...e, kept: 'compressed' })),
  ];
  if (rows.length === 0) return 'no viewing history yet';
  return renderTable(
    ['title', 'position', 'device', 'when', 'kept'],
    rows.map((e) => [
      e.titleId,
      `${e.position.toFixed(1)}s`,
      terminalSafe(e.device),
      e.at.replace('T', ' ').slice(0, 19),
      e.kept,
    ]),
  );
}

const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;

export function renderUploads(
  uploads: UploadView[],
  quota?: UploadQuota & { used: { count: number; bytes: number } },
): string {
  const table =
    uploads.length === 0
      ? 'no uploads yet'
      : renderTable(
          ['upload', 'title', 'size', 'state', 'ingest', 'visibility', 'started'],
          uploads.map((u) => [
            u.id,
            `${terminalSafe(u.title)}${u.titleId ? ` (${u.titleId})` : ''}`,
            mib(u.bytes),
            u.error ? `${u.state}: ${terminalSafe(u.error)}` : u.state,
            u.titleStatus ?? '-',
            u.visibility,
            u.createdAt.replace('T', ' ').slice(0, 19),
          ]),
        );
  if (!quota) return table;
  return `${table}

last 24 hours: ${quota.used.count} of ${quota.perDay} uploads, ${mib(quota.used.bytes)} of ${mib(quota.bytesPerDay)}; at most ${mib(quota.maxBytes)} each`;
}
