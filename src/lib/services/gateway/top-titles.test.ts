import { describe, expect, it } from 'vitest';
import { TopTitles, titlesOf } from './top-titles.js';

describe('TopTitles', () => {
  it('serves the last catalog list as a degraded Top 10 row, keeping it when a refresh fails', async () => {
    const answers: unknown[] = [{ titles: [{ id: 't1' }, { id: 't2' }] }];
    const top = new TopTitles(async () => {
      const next = answers.shift();
      if (!next) throw new Error('catalog down');
      return next;
    });
    await top.refresh(1000);
    await top.refresh(2000);
    expect(await top.fallback('circuit-open', 3000)).toEqual({
      rows: [{ name: 'Top 10', kind: 'top10', titles: [{ id: 't1' }, { id: 't2' }] }],
      degraded: true,
      reason: 'circuit-open',
    });
    expect(top.status()).toMatchObject({ count: 2, refreshes: 1, failures: 1, lastError: 'catalog down' });
  });

  it('fetches the list when it has none yet, at most once a second', async () => {
    let calls = 0;
    const answers: unknown[] = [{ titles: [] }, { titles: [{ id: 't9' }] }];
    const top = new TopTitles(async () => {
      calls++;
      return answers.shift();
    });
    await top.refresh(1000);
    expect((await top.fallback('error', 1500)).rows[0]?.titles).toEqual([]);
    expect(calls).toBe(1);
    expect((await top.fallback('error', 2500)).rows[0]?.titles).toEqual([{ id: 't9' }]);
    expect(calls).toBe(2);
  });

  it('reads {titles:[...]} and keeps at most 10', () => {
    expect(titlesOf({ titles: Array.from({ length: 12 }, (_, i) => i) })).toHaveLength(10);
    expect(titlesOf({ rows: [] })).toEqual([]);
    expect(titlesOf('nope')).toEqual([]);
  });
});
