import { titleKey } from '../catalog/contract.js';
import type { Searcher, SearchQuery } from './contract.js';

/**
 * How a query becomes an Elasticsearch request, and the MySQL `LIKE` match that stands in when
 * Elasticsearch is down. Pure.
 */

export const TITLES_INDEX = 'titles';

/**
 * The titles index. The Elasticsearch flix runs has only core analysis (no asciifolding, no
 * search_as_you_type), so the title is also indexed folded the way title names are compared —
 * case, accents and invisible marks dropped (titleKey) — and queries are folded the same way.
 * Everything else is a keyword or number to filter and sort by. One node: no replicas.
 */
export const titlesIndexBody = {
  settings: { number_of_shards: 1, number_of_replicas: 0 },
  mappings: {
    dynamic: 'strict',
    properties: {
      title: { type: 'text' },
      folded: { type: 'text' },
      year: { type: 'integer' },
      genres: { type: 'keyword' },
      regions: { type: 'keyword' },
      visibility: { type: 'keyword' },
      owner: { type: 'keyword' },
      popularity: { type: 'long' },
      publishedAt: { type: 'date' },
    },
  },
} as const;

/** How a title or a query is folded for matching. */
export const fold = titleKey;

/** What a searcher may find: licensed where they are; public titles and their own uploads. */
function visibleTo(who: Searcher): object[] {
  const filters: object[] = [];
  if (who.region) filters.push({ terms: { regions: ['*', who.region.toUpperCase()] } });
  const mayFind: object[] = [{ term: { visibility: 'public' } }];
  if (who.userId) mayFind.push({ term: { owner: who.userId } });
  filters.push({ bool: { should: mayFind, minimum_should_match: 1 } });
  return filters;
}

/**
 * The search request: every word of the query matched with typos allowed (AUTO fuzziness: one
 * edit in 3–5 letters, two above), or every word as typed with the last one unfinished (a
 * prefix); filtered by genre, year and visibility; by relevance, then popularity.
 */
export function searchRequest(q: SearchQuery, who: Searcher) {
  const filter = visibleTo(who);
  const folded = fold(q.q);
  if (q.genre) filter.push({ term: { genres: q.genre } });
  if (q.year !== undefined) filter.push({ term: { year: q.year } });
  return {
    index: TITLES_INDEX,
    size: q.limit,
    track_total_hits: false,
    // sorting by more than the score leaves hits unscored unless asked
    track_scores: true,
    query: {
      bool: {
        filter,
        should: [
          { match: { folded: { query: folded, fuzziness: 'AUTO', operator: 'and' } } },
          // as you type: every word but the last as it is, the last as a prefix
          { match_bool_prefix: { folded: { query: folded, operator: 'and' } } },
        ],
        minimum_should_match: 1,
      },
    },
    sort: [{ _score: 'desc' }, { popularity: 'desc' }, { publishedAt: { order: 'desc', missing: '_last' } }],
  };
}

/** `LIKE` patterns matching `word` at the start of a title or of one of its words (`%`, `_`, `\` literal). */
export function wordPrefixPatterns(word: string): [string, string] {
  const literal = word.replace(/[\\%_]/g, (c) => `\\${c}`);
  return [`${literal}%`, `% ${literal}%`];
}

/**
 * The degraded search: every word of the query (compared as title names are: case, accents and
 * spacing do not count) as the start of a word of the title — no typo tolerance — with the same
 * filters, most played first.
 */
export function fallbackSql(q: SearchQuery, who: Searcher): { sql: string; params: unknown[] } {
  const words = titleKey(q.q).split(' ').filter(Boolean).slice(0, 8);
  const where = ["t.status = 'ready'", 't.published IS NOT NULL'];
  const params: unknown[] = [];
  for (const w of words) {
    where.push('(t.title_key LIKE ? OR t.title_key LIKE ?)');
    params.push(...wordPrefixPatterns(w));
  }
  if (q.genre) {
    where.push("JSON_SEARCH(LOWER(t.genres), 'one', ?) IS NOT NULL");
    params.push(q.genre);
  }
  if (q.year !== undefined) {
    where.push('t.year = ?');
    params.push(q.year);
  }
  if (who.region) {
    where.push(`(JSON_CONTAINS(t.regions, '"*"') OR JSON_CONTAINS(t.regions, JSON_QUOTE(?)))`);
    params.push(who.region.toUpperCase());
  }
  if (who.userId) {
    where.push("(t.visibility = 'public' OR t.owner_id = ?)");
    params.push(who.userId);
  } else where.push("t.visibility = 'public'");
  params.push(q.limit);
  return {
    sql: `SELECT t.id, t.title, t.year, t.genres, COALESCE(s.plays, 0) AS plays FROM titles t
          LEFT JOIN title_stats s ON s.title_id = t.id
          WHERE ${where.join(' AND ')} ORDER BY plays DESC, t.title_key LIMIT ?`,
    params,
  };
}
