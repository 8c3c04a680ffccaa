import { describe, expect, it } from 'vitest';
import { TopTitles, titlesOf } from './top-titles.js';

describe('TopTitles', () => {
  it('serves the last catalog list as a degraded Top 10 row', async () => {
    const answers: unknown[] = [{ titles: [{ id: 't1' }, { id: 't2' }] }];
    const top = new TopTitles(async () => {
      const next = answers.shift();
      if (!next) throw new Error('catalog down');
      return next;
    });
    expect(top.fallback('error')).toEqual({
      rows: [{ name: 'Top 10', titles: [] }],
      degraded: true,
      reason: 'error',
    });
    await top.refresh(1000);
    await top.refresh(2000);
    expect(top.fallback('circuit-open')).toEqual({
      rows: [{ name: 'Top 10', titles: [{ id: 't1' }, { id: 't2' }] }],
      degraded: true,
      reason: 'circuit-open',
    });
    expect(top.status()).toMatchObject({ count: 2, refreshes: 1, failures: 1, lastError: 'catalog down' });
  });

  it('reads {titles:[...]} and keeps at most 10', () => {
    expect(titlesOf({ titles: Array.from({ length: 12 }, (_, i) => i) })).toHaveLength(10);
    expect(titlesOf({ rows: [] })).toEqual([]);
    expect(titlesOf('nope')).toEqual([]);
  });
});
