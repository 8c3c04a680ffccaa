import { describe, expect, it } from 'vitest';
import { buildRows, genreNeighbours, type RowTitle } from './rows.js';

const t = (id: string, genres: string[], publishedAt: string, licensed = true): RowTitle => ({
  id,
  title: id.toUpperCase(),
  genres,
  licensed,
  publishedAt,
});

describe('buildRows', () => {
  const titles = [
    t('a', ['drama'], '2026-01-01T00:00:00Z'),
    t('b', ['drama', 'travel'], '2026-03-01T00:00:00Z'),
    t('c', ['comedy'], '2026-02-01T00:00:00Z', false),
    t('d', ['travel'], '2026-04-01T00:00:00Z'),
  ];

  it('keeps the catalog order for the popular row and leaves out titles not licensed to the viewer', () => {
    const rows = buildRows(titles);
    expect(rows[0]).toEqual({
      name: 'Popular in your region',
      kind: 'popular',
      titles: [
        { id: 'a', title: 'A' },
        { id: 'b', title: 'B' },
        { id: 'd', title: 'D' },
      ],
    });
    expect(rows.flatMap((r) => r.titles.map((x) => x.id))).not.toContain('c');
  });

  it('orders new arrivals by publication and makes genre rows, biggest genre first', () => {
    const rows = buildRows(titles);
    expect(rows[1]?.titles.map((x) => x.id)).toEqual(['d', 'b', 'a']);
    expect(rows.slice(2).map((r) => [r.name, r.kind])).toEqual([
      ['Drama', 'genre'],
      ['Travel', 'genre'],
    ]);
  });

  it('makes no rows from nothing', () => {
    expect(buildRows([])).toEqual([]);
  });
});

describe('genreNeighbours', () => {
  const titles = [
    { id: 'walk', genres: ['drama', 'travel'] },
    { id: 'cook', genres: ['comedy'] },
    { id: 'trip', genres: ['travel', 'drama'] },
    { id: 'sea', genres: ['travel'] },
    { id: 'laugh', genres: ['drama', 'comedy'] },
  ];

  it('ranks by shared genres, keeps the catalog order on ties, and leaves out the title itself and strangers', () => {
    expect(genreNeighbours('walk', titles)).toEqual(['trip', 'sea', 'laugh']);
    expect(genreNeighbours('walk', titles, 1)).toEqual(['trip']);
  });

  it('has nothing for an unknown title or one without genres', () => {
    expect(genreNeighbours('nope', titles)).toEqual([]);
    expect(genreNeighbours('bare', [...titles, { id: 'bare', genres: [] }])).toEqual([]);
  });
});
