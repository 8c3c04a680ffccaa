import { groupConsumer, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, REGION_HEADER, Router } from '../../platform/http/router.js';
import type { CallOptions } from '../../platform/service-client.js';
import type { CatalogTitle } from '../catalog/contract.js';
import { parseViewingEvent } from '../history/contract.js';
import { FINISHED_SHARE, type RecommendationRow, type RecommendationsAnswer } from './contract.js';
import { buildRows, genreNeighbours } from './rows.js';
import { RecsStore, type UserRecs } from './store.js';

type Listed = CatalogTitle & { licensed: boolean };

/**
 * The recommendations service: the rows of a viewer's home page. "Top picks" are the offline
 * training's (`flix recs train`, Spark ALS blended with genres, in Cassandra); "Because you
 * watched X" is written online by this service's consumer of the viewing heartbeats as soon as a
 * viewer passes 90 % of a title (the trained similar titles, else the catalog's by genre); then
 * the catalog's rows (popular in the region, new, by genre), which are all a new viewer gets.
 * Only titles the catalog lists as licensed in the caller's region appear. Cassandra down: the
 * catalog rows, marked degraded. The gateway falls back to a static top 10 when this service
 * fails or its breaker is open.
 *
 *   GET /v1/recommendations → RecommendationsAnswer
 */
export async function startRecommendationsService(ctx: ServiceContext): Promise<ServiceHandle> {
  if (!ctx.endpoints.cassandra) throw new Error('the recommendations service needs Cassandra');
  const store = await RecsStore.connect(ctx.endpoints.cassandra);
  const counts = { served: 0, degraded: 0, finished: 0, events: 0, eventErrors: 0 };

  const catalogTitles = async (opts: Pick<CallOptions, 'userId' | 'region' | 'trace'>) => {
    const answer = await ctx.services.call<{ titles: Listed[] }>('catalog', {
      path: '/v1/titles?limit=100',
      ...opts,
    });
    if (answer.status !== 200)
      throw new HttpError(502, 'catalog-refused', `catalog answered ${answer.status}`);
    return answer.body.titles;
  };

  // the online half: a finished title becomes the viewer's "because you watched" row
  const durations = new Map<string, { seconds: number; at: number }>();
  const durationOf = async (titleId: string, userId: string): Promise<number | null> => {
    const known = durations.get(titleId);
    if (known && Date.now() - known.at < 60_000) return known.seconds;
    const r = await ctx.services.call<CatalogTitle>('catalog', {
      path: `/v1/titles/${encodeURIComponent(titleId)}`,
      userId,
    });
    if (r.status !== 200) return null;
    durations.set(titleId, { seconds: r.body.durationSeconds, at: Date.now() });
    return r.body.durationSeconds;
  };
  const consumer = await groupConsumer(ctx.endpoints, ctx.component.name, 'flix-recs-online', [
    topics.viewingHeartbeats.name,
  ]);
  ctx.metrics.watchConsumer(consumer, 'flix-recs-online');
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = parseViewingEvent(message.value?.toString());
      if (!e) return;
      counts.events++;
      try {
        const seconds = await durationOf(e.titleId, e.userId);
        if (!seconds || e.position < FINISHED_SHARE * seconds) return;
        let similar = await store.similarTo(e.titleId);
        if (similar.length === 0) {
          const listed = await catalogTitles({ userId: e.userId, region: null });
          similar = genreNeighbours(e.titleId, listed);
        }
        await store.setBecause(e.userId, e.titleId, similar, e.at);
        counts.finished++;
      } catch (error) {
        // a lost "because" row is not worth stalling the stream: the next finished title writes one
        counts.eventErrors++;
        ctx.log.warn('because-you-watched not updated', { titleId: e.titleId, error: String(error) });
      }
    },
  });

  const router = new Router().get('/v1/recommendations', async (req): Promise<RecommendationsAnswer> => {
    if (!req.userId)
      throw new HttpError(401, 'missing-user', 'recommendations are per user; call through the gateway');
    const region = (req.headers[REGION_HEADER] as string | undefined) ?? null;
    const [titles, mine] = await Promise.all([
      catalogTitles({ trace: req.trace, userId: req.userId, region }),
      store.forUser(req.userId).catch((error: unknown) => {
        ctx.log.warn('recommendations store unavailable; catalog rows only', { error: String(error) });
        return null;
      }),
    ]);
    counts.served++;
    const playable = new Map(titles.filter((t) => t.licensed).map((t) => [t.id, t]));
    const rows: RecommendationRow[] = personalRows(mine, playable);
    const answer: RecommendationsAnswer = {
      rows: [...rows, ...buildRows(titles)],
      degraded: mine === null,
      trainedAt: mine?.trainedAt ?? null,
    };
    if (mine === null) {
      counts.degraded++;
      answer.reason = 'recommendations-store-unavailable';
    }
    return answer;
  });
  return {
    router,
    async stop() {
      await consumer.disconnect().catch(() => {});
      await store.close();
    },
    status: () => ({ ...counts, breakers: ctx.services.snapshot() }),
  };
}

/** The trained picks and the "because you watched" row, of the titles the caller may play. */
function personalRows(mine: UserRecs | null, playable: ReadonlyMap<string, Listed>): RecommendationRow[] {
  if (!mine) return [];
  const pick = (ids: string[]) =>
    ids.flatMap((id) => {
      const t = playable.get(id);
      return t ? [{ id: t.id, title: t.title }] : [];
    });
  const rows: RecommendationRow[] = [];
  const picks = pick(mine.picks);
  if (picks.length > 0) rows.push({ name: 'Top picks for you', kind: 'picks', titles: picks });
  const source = mine.because && playable.get(mine.because.source);
  if (mine.because && source) {
    const titles = pick(mine.because.titles);
    if (titles.length > 0)
      rows.push({ name: `Because you watched ${source.title}`, kind: 'because', titles });
  }
  return rows;
}
