import type { RecommendationRow } from './contract.js';

/**
 * The rows of a home page, from the catalog's titles: popular in the viewer's region, new
 * arrivals, then one row per genre (the genres with most titles first). Pure.
 */

export interface RowTitle {
  id: string;
  title: string;
  genres: string[];
  licensed: boolean;
  publishedAt: string | null;
}

type Row = RecommendationRow;

export function buildRows(
  titles: readonly RowTitle[],
  options: { perRow?: number; genreRows?: number } = {},
): Row[] {
  const perRow = options.perRow ?? 10;
  const playable = titles.filter((t) => t.licensed);
  const pick = (xs: readonly RowTitle[]) => xs.slice(0, perRow).map((t) => ({ id: t.id, title: t.title }));
  const rows: Row[] = [];
  // the catalog lists titles most played first
  if (playable.length > 0)
    rows.push({ name: 'Popular in your region', kind: 'popular', titles: pick(playable) });
  const newest = [...playable].sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''));
  if (newest.length > 0) rows.push({ name: 'New on flix', kind: 'new', titles: pick(newest) });
  const byGenre = new Map<string, RowTitle[]>();
  for (const t of playable) for (const g of t.genres) byGenre.set(g, [...(byGenre.get(g) ?? []), t]);
  const genres = [...byGenre.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, options.genreRows ?? 3);
  for (const [g, ts] of genres)
    rows.push({ name: g.charAt(0).toUpperCase() + g.slice(1), kind: 'genre', titles: pick(ts) });
  return rows;
}

/**
 * The titles most like one by genre (Jaccard of the genre sets; ties keep the catalog's order,
 * most played first), for "because you watched" before any training. Pure.
 */
export function genreNeighbours(
  titleId: string,
  titles: readonly Pick<RowTitle, 'id' | 'genres'>[],
  k = 10,
): string[] {
  const source = new Set(titles.find((t) => t.id === titleId)?.genres ?? []);
  if (source.size === 0) return [];
  return titles
    .filter((t) => t.id !== titleId)
    .map((t, i) => {
      const both = t.genres.filter((g) => source.has(g)).length;
      return { id: t.id, i, score: both / (source.size + new Set(t.genres).size - both) };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, k)
    .map((x) => x.id);
}
