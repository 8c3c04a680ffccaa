import { createHash } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '../../core/concurrency.js';

/**
 * An edge's disk cache as nginx lays it out, read and pruned from outside: what the edge holds is
 * what is on its disk, so steering, `flix titles show` and the distribution service all see the
 * same truth without the edge having to report it. nginx names a cached response after the MD5
 * of its cache key and, with `levels=1:2`, files it under the hash's last character and the two
 * before it. A file nginx is still writing has a temporary name, so a file under the final name
 * is a whole response.
 *
 * Deleting a file evicts it: nginx treats a missing file as a miss and fetches it again (its
 * shared-memory entry is replaced on the next store).
 */

/** The edge's cache directory inside its data dir (`proxy_cache_path` in the edge's config). */
export const edgeCacheDir = (dataDir: string) => join(dataDir, 'cache');

/** The cache key the edge stores an origin object under (`proxy_cache_key` in the edge's config). */
export function cacheKeyFor(objectKey: string): string {
  return `/flix-origin/${objectKey}`;
}

/** Where nginx keeps the cached response of an origin object. */
export function cacheFileFor(cacheDir: string, objectKey: string): string {
  const md5 = createHash('md5').update(cacheKeyFor(objectKey)).digest('hex');
  return join(cacheDir, md5.slice(-1), md5.slice(-3, -1), md5);
}

export interface Holding {
  /** objects of those asked about that the edge's cache holds */
  objects: number;
  /** their size on the edge's disk (headers included) */
  bytes: number;
}

/** How many of the given objects an edge's cache holds. */
export async function heldObjects(cacheDir: string, objectKeys: readonly string[]): Promise<Holding> {
  let objects = 0;
  let bytes = 0;
  await forEachLimited(objectKeys, 16, async (key) => {
    try {
      const s = await stat(cacheFileFor(cacheDir, key));
      objects += 1;
      bytes += s.size;
    } catch {
      // not cached (or evicted meanwhile)
    }
  });
  return { objects, bytes };
}

/** The objects (of those given) an edge's cache lacks, in the order given. */
export async function missingObjects<T extends { key: string }>(
  cacheDir: string,
  objects: readonly T[],
): Promise<T[]> {
  const held = new Set<string>();
  await forEachLimited(objects, 16, async (o) => {
    if (await holdsObject(cacheDir, o.key)) held.add(o.key);
  });
  return objects.filter((o) => !held.has(o.key));
}

/** Whether the edge holds one object (steering asks this of a title's master playlist). */
export async function holdsObject(cacheDir: string, objectKey: string): Promise<boolean> {
  try {
    await stat(cacheFileFor(cacheDir, objectKey));
    return true;
  } catch {
    return false;
  }
}

/** Evicts the given objects from an edge's cache; how many it held. */
export async function evictObjects(cacheDir: string, objectKeys: readonly string[]): Promise<number> {
  let removed = 0;
  await forEachLimited(objectKeys, 16, async (key) => {
    try {
      await unlink(cacheFileFor(cacheDir, key));
      removed += 1;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  });
  return removed;
}

/**
 * The titles an edge serves from the origin without caching (the origin tier), as the nginx `map`
 * lines its config includes. Title ids are `[A-Za-z0-9_-]`, so they need no quoting beyond the
 * quotes nginx takes.
 */
export const ORIGIN_TIER_FILE = 'origin-tier.map';

export function originTierMap(titleIds: readonly string[]): string {
  const ids = [...new Set(titleIds)].filter((id) => /^[A-Za-z0-9_-]{1,64}$/.test(id)).sort();
  return `# written by flix's distribution service: titles served from the origin, not cached\n${ids
    .map((id) => `"${id}" 1;\n`)
    .join('')}`;
}

/**
 * Writes an edge's origin-tier list and has its nginx reload it (SIGHUP to the master, whose pid
 * nginx keeps in its data dir: a graceful reload, no request is dropped). Nothing is written or
 * signalled when the list is unchanged. Returns whether the edge reloaded.
 */
export async function setOriginTier(
  edge: { confDir: string; dataDir: string },
  titleIds: readonly string[],
): Promise<boolean> {
  const file = join(edge.confDir, ORIGIN_TIER_FILE);
  const text = originTierMap(titleIds);
  const before = await readFile(file, 'utf8').catch(() => '');
  if (before === text) return false;
  await writeFile(`${file}.tmp`, text, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  const pid = Number((await readFile(join(edge.dataDir, 'nginx.pid'), 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`the edge's nginx.pid holds no pid`);
  process.kill(pid, 'SIGHUP');
  return true;
}

/** The titles an edge's origin-tier list names. */
export async function readOriginTier(confDir: string): Promise<string[]> {
  const text = await readFile(join(confDir, ORIGIN_TIER_FILE), 'utf8').catch(() => '');
  return [...text.matchAll(/^"([A-Za-z0-9_-]+)" 1;$/gm)].map((m) => m[1] as string);
}
