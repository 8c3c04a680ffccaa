import { randomBytes } from 'node:crypto';
import { setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { readPlan } from '../../cluster/endpoints.js';
import { parseSize } from '../../core/sizes.js';
import {
  edgeCacheDir,
  evictObjects,
  heldObjects,
  missingObjects,
  setOriginTier,
} from '../../engines/edge/cache.js';
import { mysqlPool } from '../../engines/mysql/client.js';
import { type Edge, prewarmOnEdge } from '../../platform/edge-fill.js';
import { connectServiceClients, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router, reply, validate } from '../../platform/http/router.js';
import { OPERATOR } from '../../platform/internal-auth.js';
import { ensureCatalogSchema, getTitle } from '../catalog/store.js';
import { listObjects, type ObjectRow } from '../orchestrator/store.js';
import type { DistributionRun, EdgeRunReport, EdgeStatus } from './contract.js';
import { Headroom, Pacer } from './pacer.js';
import {
  type FillWindow,
  fillOrder,
  isLicensedFor,
  type Placement,
  type PlacementEdge,
  placeTitles,
  scheduledRunDue,
} from './placement.js';
import { ensureDistributionSchema, readCatalogue, saveTiers } from './store.js';

/** How long the signed URLs a fill fetches with stay valid. */
const LINK_SECONDS = 3600;
/** Requests in flight per edge while filling. */
const FILL_CONCURRENCY = 2;
const runRequest = z.strictObject({ reason: z.string().max(64).optional() });
const evictRequest = z.strictObject({
  titleId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  edges: z.array(z.string().min(1).max(64)).max(64).optional(),
});

interface DistributedEdge extends Edge {
  dataDir: string;
  confDir: string;
  budgetBytes: number;
  regions: string[];
}

/**
 * The distribution service: pushes titles to the edges before viewers ask, as Open Connect fills
 * its appliances. A published title (`title.published`) is placed at once; a nightly window
 * re-places the whole catalogue by the plays seen per zone (evicting the least wanted when an
 * edge's budget is full) and sets each title's tier; the origin tier goes to every edge as the
 * list of titles it serves without caching. Fills are paced (`fillMbps`) so live traffic keeps
 * the bandwidth. Every placement runs one after another; what an edge holds is read from its disk.
 *
 *   POST /v1/runs {reason?}   the operator's: re-place now (`flix distribute --now`) → 202 {run}
 *   GET  /v1/runs/:id         a run: running or done, per edge what was filled and evicted
 *   POST /v1/evictions {titleId, edges?}   the operator's: delete a title from edges' caches
 *                             (until a placement puts it back) → {titleId, edges: [{edge, objects}]}
 *   GET  /v1/edges            per edge: budget, bytes held, titles placed, predicted hit ratio
 */
export async function startDistributionService(ctx: ServiceContext): Promise<ServiceHandle> {
  // fills are background work: this process yields the CPU to the services viewers wait on
  setPriority(10);
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureCatalogSchema(db);
  await ensureDistributionSchema(db);
  const settings = ctx.component.settings as Record<string, unknown>;
  const budgetBytes = parseSize(String(settings.edgeBudget ?? '800m'));
  const zoneRegions = (settings.zoneRegions ?? {}) as Record<string, string[]>;
  const window = (settings.window ?? { start: '02:00', hours: 4 }) as FillWindow;
  const newTitleMs = Number(settings.newTitleHours ?? 24) * 3_600_000;
  const fillOnPublish = settings.fillOnPublish !== false;
  const pacer = new Pacer((Number(settings.fillMbps ?? 200) * 1_000_000) / 8);
  const headroom = new Headroom(Number(settings.fillMinIdle ?? 0.2));
  let yieldedMs = 0;
  const plan = await readPlan(ctx.cluster);
  const edges: DistributedEdge[] = (plan?.components ?? [])
    .filter((c) => c.engine === 'edge')
    .map((c) => ({
      name: c.name,
      zone: c.zone as string,
      url: c.endpoint,
      dataDir: c.dataDir,
      confDir: c.confDir,
      budgetBytes,
      regions: zoneRegions[c.zone as string] ?? ['*'],
    }));

  const runs = new Map<string, DistributionRun>();
  let last: Placement | null = null;
  let lastScheduledAt: number | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let pending: DistributionRun | null = null;
  const counts = { runs: 0, filledObjects: 0, filledBytes: 0, evictedObjects: 0, reloads: 0, failures: 0 };

  /** per queued run: the titles published since it was asked for (null: re-place everything) */
  const published = new Map<string, Set<string> | null>();

  /**
   * Asks for a placement: of the titles just published (`titleId`), or of the whole catalogue.
   * Runs one at a time; asks made while one runs share the next run (ten titles published during
   * a fill cost one more placement, not ten).
   */
  const requestRun = (reason: string, titleId?: string): DistributionRun => {
    if (pending) {
      const fresh = published.get(pending.id);
      if (titleId && fresh) fresh.add(titleId);
      else published.set(pending.id, null);
      return pending;
    }
    const run: DistributionRun = {
      id: `r_${randomBytes(6).toString('hex')}`,
      reason,
      state: 'queued',
      startedAt: null,
      finishedAt: null,
      edges: [],
      tiers: {},
      error: null,
    };
    runs.set(run.id, run);
    for (const old of [...runs.keys()].slice(0, Math.max(0, runs.size - 20))) runs.delete(old);
    published.set(run.id, titleId ? new Set([titleId]) : null);
    pending = run;
    queue = queue.then(async () => {
      pending = null;
      const fresh = published.get(run.id) ?? null;
      published.delete(run.id);
      await execute(run, fresh);
    });
    return run;
  };

  /**
   * Places just-published titles beside what the edges hold, when they fit every budget left:
   * the cost of a publish is then the new title's fill, not a pass over the whole catalogue.
   * False when a full placement is needed (the first one, a budget that would overflow, a title
   * licensed nowhere the edges serve).
   */
  const placeFresh = async (run: DistributionRun, ids: Set<string>): Promise<boolean> => {
    const placed = last;
    if (!placed) return false;
    const fresh: Array<{ id: string; regions: string[]; objects: ObjectRow[]; bytes: number }> = [];
    for (const id of ids) {
      if (placed.tiers[id] !== undefined) continue;
      const t = await getTitle(db, id);
      const objects = await listObjects(db, id);
      if (t?.status !== 'ready' || objects.length === 0) continue;
      fresh.push({ id, regions: t.regions, objects, bytes: objects.reduce((a, o) => a + o.bytes, 0) });
    }
    const plan = new Map<string, typeof fresh>();
    for (const edge of edges) {
      const ep = placed.edges.find((e) => e.edge === edge.name);
      if (!ep) return false;
      const mine = fresh.filter((t) => isLicensedFor(t, edge));
      if (ep.bytes + mine.reduce((a, t) => a + t.bytes, 0) > edge.budgetBytes) return false;
      plan.set(edge.name, mine);
    }
    if (fresh.some((t) => edges.every((e) => !plan.get(e.name)?.includes(t))) && fresh.length > 0)
      return false;
    const placedOn = new Map<string, string[]>();
    for (const edge of edges) {
      const mine = plan.get(edge.name) ?? [];
      const ep = placed.edges.find((e) => e.edge === edge.name) as Placement['edges'][number];
      const objects = new Map(mine.map((t) => [t.id, t.objects]));
      run.edges.push(await applyToEdge(edge, new Set(objects.keys()), objects, [...objects.keys()]));
      for (const t of mine) {
        ep.titles.unshift(t.id);
        ep.bytes += t.bytes;
        placedOn.set(t.id, [...(placedOn.get(t.id) ?? []), edge.name]);
      }
    }
    for (const t of fresh) {
      const licensed = edges.filter((e) => isLicensedFor(t, e)).length;
      const tier = (placedOn.get(t.id)?.length ?? 0) === licensed ? 'hot' : 'warm';
      placed.tiers[t.id] = tier;
      run.tiers[t.id] = tier;
    }
    await saveTiers(db, run.tiers, placedOn);
    return true;
  };

  const execute = async (run: DistributionRun, fresh: Set<string> | null) => {
    run.state = 'running';
    run.startedAt = new Date().toISOString();
    counts.runs++;
    try {
      if (fresh && (await placeFresh(run, fresh))) {
        run.state = 'done';
        return;
      }
      run.edges = [];
      run.tiers = {};
      const { titles, objects } = await readCatalogue(db);
      const placement = placeTitles(titles, edges as PlacementEdge[], {
        now: Date.now(),
        newTitleMs,
        zones: ctx.endpoints.zones,
      });
      run.tiers = placement.tiers;
      const origin = Object.entries(placement.tiers)
        .filter(([, tier]) => tier === 'origin')
        .map(([id]) => id);
      for (const edge of edges) {
        if (await setOriginTier(edge, origin)) counts.reloads++;
      }
      const placedOn = new Map<string, string[]>();
      for (const ep of placement.edges) {
        for (const id of ep.titles) placedOn.set(id, [...(placedOn.get(id) ?? []), ep.edge]);
      }
      for (const edge of edges) {
        const ep = placement.edges.find((e) => e.edge === edge.name);
        if (!ep) continue;
        run.edges.push(await applyToEdge(edge, new Set(ep.titles), objects, ep.titles));
      }
      await saveTiers(db, placement.tiers, placedOn);
      last = placement;
      run.state = 'done';
    } catch (e) {
      counts.failures++;
      run.state = 'failed';
      run.error = (e as Error).message;
      ctx.log.warn('placement failed', { run: run.id, error: run.error });
    } finally {
      run.finishedAt = new Date().toISOString();
    }
  };

  /** Pushes objects of a title through one edge, paced. */
  const fill = (edge: DistributedEdge, id: string, objects: readonly ObjectRow[]) =>
    prewarmOnEdge(
      { id, title: id, objects: fillOrder(objects).map((o) => ({ key: o.key, bytes: o.bytes, md5: o.md5 })) },
      edge,
      {
        secret: ctx.secrets.edgeSigningKey,
        expiresAt: Math.floor(Date.now() / 1000) + LINK_SECONDS,
        concurrency: FILL_CONCURRENCY,
        signal: ctx.signal,
        beforeFetch: async (o) => {
          yieldedMs += await headroom.wait(ctx.signal);
          await pacer.take(o.bytes, ctx.signal);
        },
        // what the edge holds is read from its disk by the next placement: no HEAD per object
        verify: false,
      },
    );

  /** Evicts what the edge should no longer hold, then fills what it lacks, in placement order. */
  const applyToEdge = async (
    edge: DistributedEdge,
    wanted: Set<string>,
    catalogue: Map<string, ObjectRow[]>,
    order: string[],
  ): Promise<EdgeRunReport> => {
    const started = Date.now();
    const report: EdgeRunReport = {
      edge: edge.name,
      zone: edge.zone,
      filled: [],
      evicted: [],
      failures: 0,
      seconds: 0,
    };
    const cacheDir = edgeCacheDir(edge.dataDir);
    for (const [id, objects] of catalogue) {
      if (wanted.has(id)) continue;
      const removed = await evictObjects(
        cacheDir,
        objects.map((o) => o.key),
      );
      if (removed > 0) {
        report.evicted.push({ titleId: id, objects: removed });
        counts.evictedObjects += removed;
      }
    }
    for (const id of order) {
      if (ctx.signal.aborted) break;
      const all = catalogue.get(id) ?? [];
      let missing = await missingObjects(cacheDir, all);
      if (missing.length === 0) continue;
      // a fetch that failed is tried again (twice, after a pause): an edge that was just reloaded
      // (a new origin-tier list) closes the keep-alive connections its old worker held
      let r = await fill(edge, id, missing);
      for (let attempt = 1; attempt <= 2 && r.failures.length > 0 && !ctx.signal.aborted; attempt++) {
        ctx.log.warn('fill retried', {
          edge: edge.name,
          titleId: id,
          attempt,
          failures: r.failures.slice(0, 3),
        });
        await sleep(500 * attempt, undefined, { signal: ctx.signal });
        missing = await missingObjects(cacheDir, all);
        const again = await fill(edge, id, missing);
        r = {
          ...again,
          fromOrigin: {
            objects: r.fromOrigin.objects + again.fromOrigin.objects,
            bytes: r.fromOrigin.bytes + again.fromOrigin.bytes,
          },
        };
      }
      const bytes = r.fromOrigin.bytes + r.alreadyCached.bytes;
      report.filled.push({ titleId: id, objects: r.fromOrigin.objects + r.alreadyCached.objects, bytes });
      report.failures += r.failures.length;
      counts.filledObjects += r.fromOrigin.objects;
      counts.filledBytes += r.fromOrigin.bytes;
      if (r.failures.length > 0) {
        ctx.log.warn('fill incomplete', { edge: edge.name, titleId: id, failures: r.failures.slice(0, 3) });
      }
    }
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    ctx.log.info('edge placed', {
      edge: edge.name,
      filled: report.filled.length,
      evicted: report.evicted.length,
      seconds: report.seconds,
    });
    return report;
  };

  const { producer, consumer } = await connectServiceClients(
    ctx.endpoints,
    ctx.component.name,
    'flix-distribution',
    // one instance, restarted by the supervisor if it dies: no group to hand work over quickly
    { heartbeatInterval: 3000 },
  );
  ctx.metrics.watchConsumer(consumer, 'flix-distribution');
  await consumer.subscribe({ topics: [topics.titlePublished.name], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!fillOnPublish) return;
      const event = JSON.parse(String(message.value)) as { titleId?: string };
      ctx.log.info('title published: placing', { titleId: event.titleId });
      requestRun(`published ${event.titleId ?? ''}`.trim(), event.titleId);
    },
  });
  // titles published while this service was down are placed now (and on every start)
  requestRun('start');

  const timer = setInterval(() => {
    if (window.hours <= 0 || !scheduledRunDue(new Date(), window, lastScheduledAt)) return;
    lastScheduledAt = Date.now();
    requestRun('nightly window');
  }, 60_000);

  const edgeStatus = async (): Promise<EdgeStatus[]> =>
    Promise.all(
      edges.map(async (edge) => {
        const ep = last?.edges.find((e) => e.edge === edge.name);
        let held = 0;
        let objects = 0;
        for (const id of ep?.titles ?? []) {
          const h = await heldObjects(
            edgeCacheDir(edge.dataDir),
            (await listObjects(db, id)).map((o) => o.key),
          );
          held += h.bytes;
          objects += h.objects;
        }
        return {
          edge: edge.name,
          zone: edge.zone,
          regions: edge.regions,
          budgetBytes: edge.budgetBytes,
          placedTitles: ep?.titles ?? [],
          placedBytes: ep?.bytes ?? 0,
          heldBytes: held,
          heldObjects: objects,
          predictedHitRatio: ep?.predictedHitRatio ?? null,
        };
      }),
    );

  const router = new Router()
    .post('/v1/runs', (req) => {
      if (req.caller !== OPERATOR) {
        throw new HttpError(
          403,
          'operator-only',
          "placing titles on edges is the operator's (`flix distribute`)",
        );
      }
      const body = validate(runRequest, req.body ?? {});
      return reply(202, { run: requestRun(body.reason ?? 'operator') });
    })
    .post('/v1/evictions', async (req) => {
      if (req.caller !== OPERATOR) {
        throw new HttpError(
          403,
          'operator-only',
          "evicting titles from edges is the operator's (`flix distribute evict`)",
        );
      }
      const body = validate(evictRequest, req.body);
      const chosen = body.edges ? edges.filter((e) => body.edges?.includes(e.name)) : edges;
      if (body.edges && chosen.length !== body.edges.length) {
        throw new HttpError(
          404,
          'unknown-edge',
          `the cluster's edges are ${edges.map((e) => e.name).join(', ')}`,
        );
      }
      const keys = (await listObjects(db, body.titleId)).map((o) => o.key);
      if (keys.length === 0) throw new HttpError(404, 'unknown-title', `no published title ${body.titleId}`);
      // in the placements' queue, so an eviction never races a fill of the same edge
      const done = queue.then(() =>
        Promise.all(
          chosen.map(async (e) => ({
            edge: e.name,
            zone: e.zone,
            objects: await evictObjects(edgeCacheDir(e.dataDir), keys),
          })),
        ),
      );
      queue = done.catch(() => {});
      const evicted = await done;
      counts.evictedObjects += evicted.reduce((a, e) => a + e.objects, 0);
      ctx.log.info('title evicted', { titleId: body.titleId, evicted });
      return { titleId: body.titleId, edges: evicted };
    })
    .get('/v1/runs/:id', (req) => {
      const run = runs.get(req.params.id as string);
      if (!run) throw new HttpError(404, 'unknown-run', `no run ${req.params.id} (the last 20 are kept)`);
      return { run };
    })
    .get('/v1/edges', async () => ({
      edges: await edgeStatus(),
      window,
      fillMbps: Number(settings.fillMbps ?? 200),
      lastRun: [...runs.values()].filter((r) => r.state === 'done' || r.state === 'failed').at(-1) ?? null,
    }));

  return {
    router,
    async stop() {
      clearInterval(timer);
      headroom.stop();
      await consumer.disconnect();
      await producer.disconnect();
      await queue.catch(() => {});
      await db.end();
    },
    status: () => ({
      ...counts,
      yieldedSeconds: Math.round(yieldedMs / 100) / 10,
      cpuIdle: Math.round(headroom.idle * 100) / 100,
      pending: pending !== null,
      edges: edges.length,
    }),
  };
}
