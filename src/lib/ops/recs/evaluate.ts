import { mulberry32, zipfSampler } from '../../load/schedule.js';

/**
 * The offline side of recommendations that needs no Spark: the viewing set with planted taste
 * groups the model is measured on, the held-out split, the popularity baseline and
 * precision/recall at k. Pure and seeded, so a run repeats.
 */

/** One viewing: how much of a title a user watched (0..1]. */
export interface View {
  user: string;
  title: string;
  weight: number;
}

export interface ViewingSet {
  views: View[];
  /** every title's genres (titles nobody watched too) */
  genres: Map<string, string[]>;
}

export interface PlantOptions {
  users?: number;
  titles?: number;
  groups?: number;
  viewsPerUser?: number;
  /** the share of a user's views taken from the whole catalog by popularity, not their taste */
  noise?: number;
  seed?: number;
}

/**
 * A viewing set with known structure: users fall into taste groups, each group watches mostly
 * its own block of titles, and everyone also watches the globally popular ones. Genres are
 * shared by two neighbouring groups' blocks, so genres alone cannot tell the groups apart, and
 * popularity alone recommends the same few titles to everyone: a model that learns who watches
 * with whom beats both, and one that learns nothing cannot.
 */
export function plantedViewingSet(options: PlantOptions = {}): ViewingSet {
  const users = options.users ?? 300;
  const titles = options.titles ?? 120;
  const groups = options.groups ?? 6;
  const perUser = Math.min(options.viewsPerUser ?? 15, Math.floor(titles / groups));
  const noise = options.noise ?? 0.25;
  const rng = mulberry32(options.seed ?? 1);
  const block = Math.floor(titles / groups);
  const title = (i: number) => `t${String(i).padStart(3, '0')}`;
  const genres = new Map<string, string[]>();
  for (let i = 0; i < titles; i++) {
    const g = Math.min(groups - 1, Math.floor(i / block));
    // a block's genre is shared with the next block's: genre g/2 covers blocks g and g+1
    genres.set(title(i), [`genre-${Math.floor(g / 2)}`, i % 3 === 0 ? 'drama' : 'comedy']);
  }
  // P(i) ∝ 1/(i+1): a few titles take most of the views, in the catalogue and in each block
  const anyTitle = zipfSampler(titles, { s: 1, rng });
  const inBlock = zipfSampler(block, { s: 1, rng });
  const views: View[] = [];
  for (let u = 0; u < users; u++) {
    const g = u % groups;
    const seen = new Set<number>();
    while (seen.size < perUser) {
      const i = rng() < noise ? anyTitle() : g * block + inBlock();
      if (seen.has(i)) continue;
      seen.add(i);
      views.push({ user: `u${String(u).padStart(4, '0')}`, title: title(i), weight: 0.5 + rng() / 2 });
    }
  }
  return { views, genres };
}

/**
 * Hold out a share of each user's views (at least one, and only from users with three or more,
 * so everyone keeps something to learn from). Seeded.
 */
export function holdOut(
  views: readonly View[],
  fraction = 0.2,
  seed = 7,
): { train: View[]; heldOut: Map<string, Set<string>> } {
  const rng = mulberry32(seed);
  const byUser = new Map<string, View[]>();
  for (const v of views) byUser.set(v.user, [...(byUser.get(v.user) ?? []), v]);
  const train: View[] = [];
  const heldOut = new Map<string, Set<string>>();
  for (const [user, vs] of byUser) {
    if (vs.length < 3) {
      train.push(...vs);
      continue;
    }
    const n = Math.max(1, Math.round(vs.length * fraction));
    const shuffled = vs
      .map((v) => [rng(), v] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, v]) => v);
    heldOut.set(user, new Set(shuffled.slice(0, n).map((v) => v.title)));
    train.push(...shuffled.slice(n));
  }
  return { train, heldOut };
}

/** The baseline: the k most watched titles each user has not seen, by number of viewers. */
export function popularityRecs(train: readonly View[], k: number): Map<string, string[]> {
  const count = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  for (const v of train) {
    count.set(v.title, (count.get(v.title) ?? 0) + 1);
    seen.set(v.user, (seen.get(v.user) ?? new Set()).add(v.title));
  }
  const ranked = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
  const recs = new Map<string, string[]>();
  for (const [user, mine] of seen) recs.set(user, ranked.filter((t) => !mine.has(t)).slice(0, k));
  return recs;
}

export interface Score {
  /** hits in the top k / k, averaged over the users with held-out views */
  precision: number;
  /** hits in the top k / held-out views, averaged likewise */
  recall: number;
  users: number;
}

/** precision@k and recall@k of recommendations against held-out views. */
export function scoreAt(
  recs: ReadonlyMap<string, readonly string[]>,
  heldOut: ReadonlyMap<string, Set<string>>,
  k: number,
): Score {
  let precision = 0;
  let recall = 0;
  let users = 0;
  for (const [user, truth] of heldOut) {
    if (truth.size === 0) continue;
    const hits = (recs.get(user) ?? []).slice(0, k).filter((t) => truth.has(t)).length;
    precision += hits / k;
    recall += hits / truth.size;
    users++;
  }
  return users === 0
    ? { precision: 0, recall: 0, users: 0 }
    : { precision: precision / users, recall: recall / users, users };
}

/** Dense ints for users and titles, as the Spark job takes them, and back. */
export class DenseIds {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  id(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
    }
    return i;
  }

  name(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new Error(`no name for dense id ${id}`);
    return n;
  }
}
