import { createHash } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import { EvCache } from '../evcache/client.js';
import type { JobPlan } from '../ingest/orchestrator.js';
import { titleKey } from '../ingest/stages.js';
import { HttpError, REGION_HEADER, Router, reply, validate } from '../services/http.js';
import type { ServiceContext, ServiceHandle } from '../services/runtime.js';
import { connectCatalog, ensureCatalogSchema } from './db.js';
import { countPlays, ensurePopularitySchema, topTitles } from './popularity.js';
import { parseJsonColumn } from './titles.js';

/** What the catalog serves about a ready title (cached in EVCache as it is). */
export interface CatalogTitle {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  /** the regions it is licensed in (ISO codes; `*` = everywhere) */
  regions: string[];
  durationSeconds: number;
  /** origin keys of the manifests, e.g. `titles/<id>/hls/master.m3u8` */
  manifests: { hls: string; dash: string };
  renditions: Array<{ name: string; width: number; height: number; bitrateKbps: number }>;
  publishedAt: string | null;
}

export function isLicensed(t: Pick<CatalogTitle, 'regions'>, region: string | null | undefined): boolean {
  if (!region) return true;
  return t.regions.includes('*') || t.regions.includes(region.toUpperCase());
}

const parse = parseJsonColumn;
const playCounts = z.strictObject({
  counts: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), z.number().int().min(1).max(1_000_000)),
});

/**
 * The catalog service: title metadata and regional licences from MySQL, read through EVCache
 * (local zone first, written to every zone). Only ready titles are visible.
 *
 *   GET  /v1/titles?limit=N          ready titles, most played first, with `licensed` for the caller
 *   GET  /v1/titles/:idOrName         one title (404 unknown or not ready)
 *   POST /v1/plays {counts: {titleId: n}} count plays (popularity; playback sends batches)
 */
export async function startCatalogService(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = connectCatalog(ctx.endpoints);
  await ensureCatalogSchema(db);
  await ensurePopularitySchema(db);
  const cache = new EvCache(ctx.endpoints, ctx.component.zone);
  const ttl = Number(ctx.component.settings.cacheTtlSeconds ?? 60);
  const counts = { lookups: 0, dbReads: 0 };

  const loadTitle = async (id: string): Promise<CatalogTitle | null> => {
    counts.dbReads++;
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT t.id, t.title, t.year, t.genres, t.regions, t.media, t.published_at, j.plan
       FROM titles t LEFT JOIN ingest_jobs j ON j.title_id = t.id
       WHERE t.id = ? AND t.status = 'ready'`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    const plan = parse(r.plan) as JobPlan | null;
    if (!plan?.hlsMaster || !plan.dashManifest) return null;
    return {
      id: r.id,
      title: r.title,
      year: r.year,
      genres: parse(r.genres),
      regions: parse(r.regions),
      durationSeconds: Number(plan.media.durationSeconds),
      manifests: { hls: plan.hlsMaster, dash: plan.dashManifest },
      renditions: plan.ladder.video.map((v) => ({
        name: v.name,
        width: v.width,
        height: v.height,
        bitrateKbps: v.bitrateKbps,
      })),
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
      const { counts } = validate(playCounts, req.body);
      for (const [titleId, plays] of Object.entries(counts)) await countPlays(db, titleId, plays);
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
