import { type Client, errors } from '@elastic/elasticsearch';
import type { RowDataPacket } from 'mysql2/promise';
import { type Db, jsonColumn as parse } from '../../engines/mysql/client.js';
import { ensurePopularitySchema } from '../catalog/store.js';
import type { Searcher, SearchHit, SearchQuery, TitleDoc } from './contract.js';
import { fallbackSql, fold, searchRequest, TITLES_INDEX, titlesIndexBody } from './query.js';

/**
 * The search service's storage: the Elasticsearch titles index (made on first use) and the
 * catalog's MySQL tables, which are the source of truth the index is synced from and what the
 * degraded search reads.
 */

/**
 * Makes the titles index unless it exists (another instance may make it at the same time); true
 * when this call made it.
 */
export async function ensureTitlesIndex(es: Client): Promise<boolean> {
  if (await es.indices.exists({ index: TITLES_INDEX })) return false;
  try {
    await es.indices.create({ index: TITLES_INDEX, ...titlesIndexBody } as never);
    return true;
  } catch (e) {
    if (e instanceof errors.ResponseError && e.body?.error?.type === 'resource_already_exists_exception')
      return false;
    throw e;
  }
}

/**
 * Indexes every ready title from MySQL: what a new index starts with, so an index lost with
 * Elasticsearch's data (or made after the title events were consumed) is whole again.
 */
export async function indexAllTitles(es: Client, db: Db): Promise<number> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT id FROM titles WHERE status = 'ready' AND published IS NOT NULL`,
  );
  let n = 0;
  for (const r of rows) if ((await syncTitle(es, db, r.id as string)) === 'indexed') n++;
  return n;
}

/** A title as the index should hold it, from MySQL; null when it is not (or no longer) ready. */
export async function loadTitleDoc(db: Db, id: string): Promise<TitleDoc | null> {
  await ensurePopularitySchema(db);
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT t.title, t.year, t.genres, t.regions, t.published_at, t.visibility, t.owner_id, COALESCE(s.plays, 0) AS plays
     FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id
     WHERE t.id = ? AND t.status = 'ready' AND t.published IS NOT NULL`,
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    title: r.title,
    folded: fold(r.title),
    year: r.year ?? null,
    genres: (parse(r.genres) as string[]).map((g) => g.toLowerCase()),
    regions: (parse(r.regions) as string[]).map((x) => (x === '*' ? x : x.toUpperCase())),
    visibility: r.visibility ?? 'public',
    owner: r.owner_id ?? null,
    popularity: Number(r.plays),
    publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
  };
}

/**
 * Makes the index agree with MySQL about one title: indexed as it is now, or removed when it is
 * gone. Reading the source of truth on every event makes the sync idempotent and order-blind: an
 * event delivered twice, late or after the title's deletion leaves the same document.
 */
export async function syncTitle(es: Client, db: Db, id: string): Promise<'indexed' | 'removed'> {
  const doc = await loadTitleDoc(db, id);
  if (doc) {
    await es.index({ index: TITLES_INDEX, id, document: doc });
    return 'indexed';
  }
  try {
    await es.delete({ index: TITLES_INDEX, id });
  } catch (e) {
    if (!(e instanceof errors.ResponseError && e.statusCode === 404)) throw e;
  }
  return 'removed';
}

/** Sets the popularity of every played title to its play count (one bulk request). */
export async function refreshPopularity(es: Client, db: Db): Promise<number> {
  await ensurePopularitySchema(db);
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT s.title_id, s.plays FROM title_stats s JOIN titles t ON t.id = s.title_id
     WHERE t.status = 'ready' ORDER BY s.plays DESC LIMIT 10000`,
  );
  if (rows.length === 0) return 0;
  const operations = rows.flatMap((r) => [
    { update: { _index: TITLES_INDEX, _id: r.title_id } },
    { doc: { popularity: Number(r.plays) } },
  ]);
  const answer = await es.bulk({ operations });
  // a title published but not yet indexed is not an error: its sync brings its count along
  return answer.items.filter((i) => i.update?.status === 200).length;
}

export async function searchIndex(es: Client, q: SearchQuery, who: Searcher, signal?: AbortSignal) {
  const answer = await es.search<TitleDoc>(searchRequest(q, who) as never, { signal });
  return answer.hits.hits.map(
    (h): SearchHit => ({
      id: h._id as string,
      title: h._source?.title ?? '',
      year: h._source?.year ?? null,
      genres: h._source?.genres ?? [],
      popularity: h._source?.popularity ?? 0,
      score: h._score ?? null,
    }),
  );
}

export async function searchCatalog(db: Db, q: SearchQuery, who: Searcher): Promise<SearchHit[]> {
  await ensurePopularitySchema(db);
  const { sql, params } = fallbackSql(q, who);
  const [rows] = await db.query<RowDataPacket[]>(sql, params);
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    year: r.year ?? null,
    genres: (parse(r.genres) as string[]).map((g) => g.toLowerCase()),
    popularity: Number(r.plays),
    score: null,
  }));
}
