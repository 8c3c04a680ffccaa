import { createHash } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import { mysqlPool, jsonColumn as parse } from '../../engines/mysql/client.js';
import { originClient } from '../../engines/origin/client.js';
import { EvCache } from '../../platform/evcache.js';
import { lazyProducer } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, REGION_HEADER, Router, reply, validate } from '../../platform/http/router.js';
import { OPERATOR } from '../../platform/internal-auth.js';
import { type CatalogTitle, isLicensed, mayView, type PublishedMedia, titleKey } from './contract.js';
import { removeTitle } from './removal.js';
import { countPlays, ensureCatalogSchema, ensurePopularitySchema, findTitle, topTitles } from './store.js';

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
 * (local zone first, written to every zone). Only ready titles are visible; a private one only
 * to its owner.
 *
 *   GET    /v1/titles?limit=N          public ready titles, most played first, with `licensed` for the caller
 *   GET    /v1/titles/:idOrName        one title (404 unknown, not ready, or another's private upload)
 *   DELETE /v1/titles/:idOrName        a viewer's own upload (or, for the operator, any title)
 *   POST   /v1/plays {counts: {titleId: n}, zones?: {zone: {titleId: n}}} count plays (popularity; playback sends batches)
 */
export async function startCatalogService(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureCatalogSchema(db);
  await ensurePopularitySchema(db);
  const cache = new EvCache(ctx.endpoints, ctx.component.zone);
  ctx.metrics.watchEvCache(cache.stats);
  const ttl = Number(ctx.component.settings.cacheTtlSeconds ?? 60);
  const counts = { lookups: 0, dbReads: 0 };

  const loadTitle = async (id: string): Promise<CatalogTitle | null> => {
    counts.dbReads++;
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, title, year, genres, regions, published, published_at, owner_id, visibility FROM titles
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
      owner: r.owner_id ?? null,
      visibility: r.visibility,
    };
  };

  // deletions are rare: the origin client and the Kafka producer are made on the first one
  let s3: ReturnType<typeof originClient> | null = null;
  const producer = lazyProducer(ctx.endpoints, ctx.component.name);
  const removal = () => {
    s3 ??= originClient(ctx.endpoints.origin as string, ctx.secrets);
    return {
      db,
      s3,
      producer: producer.get,
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
      // another's private upload is not there at all, as far as the caller can tell
      if (!t || (req.caller !== OPERATOR && !mayView(t, req.userId)))
        throw new HttpError(404, 'unknown-title', `no ready title ${JSON.stringify(req.params.id)}`);
      const region = req.headers[REGION_HEADER] as string | undefined;
      return { ...t, licensed: isLicensed(t, region) };
    })
    .delete('/v1/titles/:id', async (req) => {
      const id = req.params.id as string;
      const t = await findTitle(db, id);
      const operator = req.caller === OPERATOR;
      if (!t || (!operator && !mayView(t, req.userId)))
        throw new HttpError(404, 'unknown-title', `no title ${JSON.stringify(id)}`);
      if (!operator && (t.owner === null || t.owner !== req.userId)) {
        throw new HttpError(
          403,
          'not-yours',
          `${JSON.stringify(t.title)} is not your upload: only its uploader deletes it`,
        );
      }
      const objectsDeleted = await removeTitle(removal(), t);
      await cache.delete(`title:${t.id}`);
      ctx.log.info('title deleted', { titleId: t.id, by: operator ? 'operator' : req.userId });
      return { id: t.id, deleted: true, objectsDeleted };
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
      s3?.destroy();
      await producer.disconnect();
      await db.end();
    },
    status: () => ({ ...counts, evcache: { zones: cache.zones(), ...cache.stats } }),
  };
}
