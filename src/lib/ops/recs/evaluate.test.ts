import { describe, expect, it } from 'vitest';
import { DenseIds, holdOut, plantedViewingSet, popularityRecs, scoreAt, type View } from './evaluate.js';

describe('the planted viewing set', () => {
  const set = plantedViewingSet({ users: 60, titles: 60, groups: 6, viewsPerUser: 8, seed: 3 });

  it('gives every user the views asked for, each title once, and every title genres', () => {
    const byUser = new Map<string, string[]>();
    for (const v of set.views) byUser.set(v.user, [...(byUser.get(v.user) ?? []), v.title]);
    expect(byUser.size).toBe(60);
    for (const titles of byUser.values()) {
      expect(titles).toHaveLength(8);
      expect(new Set(titles).size).toBe(8);
    }
    expect(set.genres.size).toBe(60);
    for (const v of set.views) {
      expect(set.genres.has(v.title)).toBe(true);
      expect(v.weight).toBeGreaterThan(0);
      expect(v.weight).toBeLessThanOrEqual(1);
    }
  });

  it('plants taste: most of a user’s views fall in their group’s block of titles', () => {
    const inBlock = set.views.filter((v) => {
      const group = Number(v.user.slice(1)) % 6;
      return Math.floor(Number(v.title.slice(1)) / 10) === group;
    }).length;
    expect(inBlock / set.views.length).toBeGreaterThan(0.6);
  });

  it('repeats for a seed and differs for another', () => {
    expect(plantedViewingSet({ seed: 3, users: 20 }).views).toEqual(
      plantedViewingSet({ seed: 3, users: 20 }).views,
    );
    expect(plantedViewingSet({ seed: 4, users: 20 }).views).not.toEqual(
      plantedViewingSet({ seed: 3, users: 20 }).views,
    );
  });
});

const views = (pairs: string): View[] =>
  pairs.split(' ').map((p) => {
    const [user, title] = p.split(':') as [string, string];
    return { user, title, weight: 1 };
  });

describe('holding out and scoring', () => {
  it('holds out a fifth of each user’s views (at least one), never all, and keeps the rest for training', () => {
    const vs = views('a:1 a:2 a:3 a:4 a:5 a:6 a:7 a:8 a:9 a:10 b:1 b:2 b:3 c:1 c:2');
    const { train, heldOut } = holdOut(vs);
    expect(heldOut.get('a')?.size).toBe(2);
    expect(heldOut.get('b')?.size).toBe(1);
    // two views are too few to hold one out
    expect(heldOut.has('c')).toBe(false);
    expect(train).toHaveLength(vs.length - 3);
    for (const [user, titles] of heldOut)
      for (const t of titles) expect(train.some((v) => v.user === user && v.title === t)).toBe(false);
  });

  it('recommends the most watched titles a user has not seen', () => {
    const recs = popularityRecs(views('a:x a:y b:x b:y c:x d:z'), 2);
    expect(recs.get('c')).toEqual(['y', 'z']);
    expect(recs.get('d')).toEqual(['x', 'y']);
  });

  it('scores precision and recall at k over the users with held-out views', () => {
    const heldOut = new Map([
      ['a', new Set(['x', 'y'])],
      ['b', new Set(['z'])],
    ]);
    const recs = new Map([
      ['a', ['x', 'q']],
      ['b', ['q', 'r']],
    ]);
    expect(scoreAt(recs, heldOut, 2)).toEqual({ precision: 0.25, recall: 0.25, users: 2 });
    expect(scoreAt(new Map(), heldOut, 2)).toEqual({ precision: 0, recall: 0, users: 2 });
  });

  it('maps names to dense ids and back', () => {
    const ids = new DenseIds();
    expect([ids.id('zoë'), ids.id('bob'), ids.id('zoë')]).toEqual([0, 1, 0]);
    expect(ids.name(1)).toBe('bob');
    expect(() => ids.name(2)).toThrow();
  });
});
