import { createHash } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import { mysqlPool, jsonColumn as parse } from '../../engines/mysql/client.js';
import { EvCache } from '../../platform/evcache.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, REGION_HEADER, Router, reply, validate } from '../../platform/http/router.js';
import { type CatalogTitle, isLicensed, type PublishedMedia, titleKey } from './contract.js';
import { countPlays, ensureCatalogSchema, ensurePopularitySchema, topTitles } from './store.js';

const titleCounts = z.record(
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  z.number().int().min(1).max(1_000_000),
);
const playCounts = z.strictObject({
  counts: titleCounts,
  // the same plays by the zone the viewer was steered in
  zones: z.record(z.string().regex(/^[a-z][a-z0-9]{0,7}$/), titleCounts).optional(),
});

/**
 * The catalog service: title metadata and regional licences from MySQL, read through EVCache
 * (local zone first, written to every zone). Only ready titles are visible.
 *
 *   GET  /v1/titles?limit=N          ready titles, most played first, with `licensed` for the caller
 *   GET  /v1/titles/:idOrName         one title (404 unknown or not ready)
 *   POST /v1/plays {counts: {titleId: n}, zones?: {zone: {titleId: n}}} count plays (popularity; playback sends batches)
 */
export async function startCatalogService(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureCatalogSchema(db);
  await ensurePopularitySchema(db);
  const cache = new EvCache(ctx.endpoints, ctx.component.zone);
  const ttl = Number(ctx.component.settings.cacheTtlSeconds ?? 60);
  const counts = { lookups: 0, dbReads: 0 };

  const loadTitle = async (id: string): Promise<CatalogTitle | null> => {
    counts.dbReads++;
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, title, year, genres, regions, published, published_at FROM titles
       WHERE id = ? AND status = 'ready' AND published IS NOT NULL`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    const media = parse(r.published) as PublishedMedia;
    return {
      id: r.id,
      title: r.title,
      year: r.year,
      genres: parse(r.genres),
      regions: parse(r.regions),
      durationSeconds: media.durationSeconds,
      manifests: media.manifests,
      // titles published before plans capped renditions offer only their full manifests
      cappedManifests: media.cappedManifests ?? {},
      renditions: media.renditions,
      publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
    };
  };

  /** A title by id, or by its name (any case/accents/spacing), through the cache. */
  const lookup = async (idOrName: string): Promise<CatalogTitle | null> => {
    counts.lookups++;
    if (/^[A-Za-z0-9_-]{1,64}$/.test(idOrName)) {
      const byId = await cache.readThrough<CatalogTitle>(`title:${idOrName}`, ttl, () => loadTitle(idOrName));
      if (byId) return byId;
    }
    // memcached keys are ASCII without spaces: a name is cached under a hash of its normal form
    const key = titleKey(idOrName);
    const nameKey = `title-name:${createHash('sha1').update(key).digest('hex')}`;
    const id = await cache.readThrough<string>(nameKey, ttl, async () => {
      counts.dbReads++;
      const [rows] = await db.query<RowDataPacket[]>(
        `SELECT id FROM titles WHERE title_key = ? AND status = 'ready' LIMIT 1`,
        [key],
      );
      return (rows[0]?.id as string | undefined) ?? null;
    });
    return id ? cache.readThrough<CatalogTitle>(`title:${id}`, ttl, () => loadTitle(id)) : null;
  };

  const router = new Router()
    .get('/v1/titles', async (req) => {
      const limit = Math.min(100, Math.max(1, Number(req.query.get('limit') ?? 50) || 50));
      const region = (req.headers[REGION_HEADER] as string | undefined) ?? req.query.get('region');
      const list = await cache.readThrough<string[]>(`titles:top:${limit}`, Math.min(ttl, 10), async () => {
        counts.dbReads++;
        return (await topTitles(db, limit)).map((t) => t.id);
      });
      const titles = (await Promise.all((list ?? []).map((id) => lookup(id)))).filter(
        (t): t is CatalogTitle => t !== null,
      );
      return { titles: titles.map((t) => ({ ...t, licensed: isLicensed(t, region) })) };
    })
    .get('/v1/titles/:id', async (req) => {
      const t = await lookup(req.params.id as string);
      if (!t) throw new HttpError(404, 'unknown-title', `no ready title ${JSON.stringify(req.params.id)}`);
      const region = req.headers[REGION_HEADER] as string | undefined;
      return { ...t, licensed: isLicensed(t, region) };
    })
    .post('/v1/plays', async (req) => {
      const { counts, zones } = validate(playCounts, req.body);
      if (zones) {
        for (const [zone, byTitle] of Object.entries(zones)) {
          for (const [titleId, plays] of Object.entries(byTitle)) await countPlays(db, titleId, plays, zone);
        }
      } else {
        for (const [titleId, plays] of Object.entries(counts)) await countPlays(db, titleId, plays);
      }
      return reply(204);
    });

  return {
    router,
    async stop() {
      cache.close();
      await db.end();
    },
    status: () => ({ ...counts, evcache: { zones: cache.zones(), ...cache.stats } }),
  };
}
