import { describe, expect, it } from 'vitest';
import { searchQuery } from './contract.js';
import { fallbackSql, fold, searchRequest, wordPrefixPatterns } from './query.js';

const query = (raw: Record<string, string>) => searchQuery.parse(raw);

describe('search queries', () => {
  it('folds case and accents the same way for titles and queries', () => {
    expect(fold('  Big  TRÌP — Café ')).toBe('big trip — cafe');
    expect(fold('東京 🎬')).toBe('東京 🎬');
  });

  it('matches with typos or as a prefix, filtered to what the searcher may find', () => {
    const r = searchRequest(query({ q: 'Big Trp', genre: 'Drama', year: '2024' }), {
      userId: 'u1',
      region: 'gb',
    });
    expect(r.query.bool.should).toEqual([
      { match: { folded: { query: 'big trp', fuzziness: 'AUTO', operator: 'and' } } },
      { match_bool_prefix: { folded: { query: 'big trp', operator: 'and' } } },
    ]);
    expect(r.query.bool.filter).toEqual([
      { terms: { regions: ['*', 'GB'] } },
      {
        bool: {
          should: [{ term: { visibility: 'public' } }, { term: { owner: 'u1' } }],
          minimum_should_match: 1,
        },
      },
      { term: { genres: 'drama' } },
      { term: { year: 2024 } },
    ]);
    expect(r.sort[0]).toEqual({ _score: 'desc' });
    expect(r.sort[1]).toEqual({ popularity: 'desc' });
  });

  it('lets the operator (no region, no user) find every public title', () => {
    const r = searchRequest(query({ q: 'x' }), { userId: null, region: null });
    expect(r.query.bool.filter).toEqual([
      { bool: { should: [{ term: { visibility: 'public' } }], minimum_should_match: 1 } },
    ]);
  });

  it('refuses empty, over-long and control-character queries, and unknown parameters', () => {
    for (const bad of [
      { q: '   ' },
      { q: 'x'.repeat(201) },
      { q: 'a\u0007' },
      { q: 'a', region: 'GB' },
      { q: 'a', year: '1492' },
    ])
      expect(searchQuery.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(searchQuery.parse({ q: '🎬'.repeat(200) }).q).toHaveLength(400);
  });

  it('falls back to word-start LIKE patterns with wildcards taken literally', () => {
    expect(wordPrefixPatterns('50%_off\\')).toEqual(['50\\%\\_off\\\\%', '% 50\\%\\_off\\\\%']);
    const { sql, params } = fallbackSql(query({ q: 'Big Trìp', genre: 'drama', year: '2024', limit: '5' }), {
      userId: 'u1',
      region: 'us',
    });
    expect(sql.match(/title_key LIKE \?/g)).toHaveLength(4);
    expect(params).toEqual(['big%', '% big%', 'trip%', '% trip%', 'drama', 2024, 'US', 'u1', 5]);
    expect(sql).toContain("(t.visibility = 'public' OR t.owner_id = ?)");
    // an anonymous searcher finds only public titles
    expect(fallbackSql(query({ q: 'big' }), { userId: null, region: null }).sql).toContain(
      "t.visibility = 'public'",
    );
  });
});
