import { EvCache } from '../../platform/evcache.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router, reply, type ServiceRequest, validate } from '../../platform/http/router.js';
import { isolation } from '../../platform/resilience/index.js';
import { type CatalogTitle, titleForRequest } from '../catalog/contract.js';
import {
  type StatsAnswer,
  type TitleCounts,
  type Vote,
  type VoteAnswer,
  viewBody,
  voteBody,
} from './contract.js';
import { StatsStore } from './store.js';

/**
 * The stats service: likes, dislikes and views of each title (Cassandra counters, read through
 * EVCache), one vote per user and title. A vote on a title the caller cannot play (unknown, or not
 * licensed where they are) is refused and writes nothing.
 *
 *   GET    /v1/stats/:title           → StatsAnswer (title: id or name)
 *   PUT    /v1/votes/:title {vote}    → VoteAnswer  (like | dislike; a repeat changes nothing)
 *   DELETE /v1/votes/:title           → VoteAnswer  (the vote removed)
 *   POST   /v1/views {playId, titleId} → {counted}  (the playback service, once a play has watched enough)
 */
export async function startStatsService(ctx: ServiceContext): Promise<ServiceHandle> {
  if (!ctx.endpoints.cassandra) throw new Error('the stats service needs Cassandra');
  const store = await StatsStore.connect(ctx.endpoints.cassandra);
  const cache = new EvCache(ctx.endpoints, ctx.component.zone);
  ctx.metrics.watchEvCache(cache.stats);
  const ttl = Number(ctx.component.settings.cacheTtlSeconds ?? 30);
  const cassandra = isolation('cassandra', {
    timeoutMs: 2000,
    maxConcurrent: 64,
    breaker: { minimumRequests: 5, halfOpenAfterMs: 5000, windowMs: 10_000 },
  });
  const counts = { reads: 0, votes: 0, repeats: 0, views: 0 };
  const countsKey = (id: string) => `stats:${id}`;

  const titleFor = (req: ServiceRequest, playable: boolean) =>
    titleForRequest(ctx.services, req, { playable });
  const readCounts = (titleId: string) =>
    cassandra.execute(
      async () =>
        (await cache.readThrough<TitleCounts>(countsKey(titleId), ttl, () =>
          store.counts(titleId),
        )) as TitleCounts,
    );

  const answer = async (t: CatalogTitle, userId: string | null): Promise<StatsAnswer> => {
    const [c, myVote] = await Promise.all([
      readCounts(t.id),
      userId ? cassandra.execute(() => store.voteOf(userId, t.id)) : Promise.resolve(null),
    ]);
    return { titleId: t.id, title: t.title, ...c, myVote };
  };

  const vote = async (req: ServiceRequest, to: Vote | null): Promise<VoteAnswer> => {
    const userId = req.userId;
    if (!userId) throw new HttpError(401, 'missing-user', "a vote is a user's; call through the gateway");
    const t = await titleFor(req, true);
    const changed = await cassandra.execute(() => store.setVote(userId, t.id, to));
    if (!changed) {
      counts.repeats++;
      return { titleId: t.id, title: t.title, ...(await readCounts(t.id)), myVote: to, changed };
    }
    counts.votes++;
    // every zone's cache gets the new counts at once: the voter reads their own vote back
    const fresh = await cassandra.execute(() => store.counts(t.id));
    await cache.setJson(countsKey(t.id), fresh, ttl);
    return { titleId: t.id, title: t.title, ...fresh, myVote: to, changed };
  };

  const router = new Router()
    .get('/v1/stats/:title', async (req) => {
      counts.reads++;
      return answer(await titleFor(req, false), req.userId);
    })
    .put('/v1/votes/:title', async (req) => vote(req, validate(voteBody, req.body).vote))
    .delete('/v1/votes/:title', async (req) => vote(req, null))
    .post('/v1/views', async (req) => {
      if (req.userId) throw new HttpError(403, 'forbidden', 'views are counted by the playback service');
      const { playId, titleId } = validate(viewBody, req.body);
      const counted = await cassandra.execute(() => store.countView(playId, titleId));
      if (counted) {
        counts.views++;
        await cache.delete(countsKey(titleId));
      }
      return reply(200, { counted });
    });

  return {
    router,
    async stop() {
      cache.close();
      await store.close();
    },
    status: () => ({ ...counts, breakers: [cassandra.snapshot(), ...ctx.services.snapshot()] }),
  };
}
