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

export interface Row {
  name: string;
  titles: Array<{ id: string; title: string }>;
}

export function buildRows(
  titles: readonly RowTitle[],
  options: { perRow?: number; genreRows?: number } = {},
): Row[] {
  const perRow = options.perRow ?? 10;
  const playable = titles.filter((t) => t.licensed);
  const pick = (xs: readonly RowTitle[]) => xs.slice(0, perRow).map((t) => ({ id: t.id, title: t.title }));
  const rows: Row[] = [];
  // the catalog lists titles most played first
  if (playable.length > 0) rows.push({ name: 'Popular in your region', titles: pick(playable) });
  const newest = [...playable].sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''));
  if (newest.length > 0) rows.push({ name: 'New on flix', titles: pick(newest) });
  const byGenre = new Map<string, RowTitle[]>();
  for (const t of playable) for (const g of t.genres) byGenre.set(g, [...(byGenre.get(g) ?? []), t]);
  const genres = [...byGenre.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, options.genreRows ?? 3);
  for (const [g, ts] of genres) rows.push({ name: g.charAt(0).toUpperCase() + g.slice(1), titles: pick(ts) });
  return rows;
}
