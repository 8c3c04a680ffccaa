import { EvCache } from '../../platform/evcache.js';
import { groupConsumer, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router } from '../../platform/http/router.js';
import { compactHistory } from './compaction.js';
import { type HistoryAnswer, latestByTitle, parseViewingEvent } from './contract.js';
import { HistoryStore } from './store.js';

/**
 * The history service: applies the viewing events (heartbeats) from Kafka to the live history in
 * Cassandra — every instance one member of one group, so a stopped one's partitions move on and a
 * restarted group resumes at its committed offsets — and serves a user's history, live and
 * compressed. Every `compactSeconds`, one instance (an EVCache claim) moves history older than
 * `compactAfterSeconds` into the compressed rows.
 *
 *   GET /v1/history → HistoryAnswer (the caller's)
 */
export async function startHistoryService(ctx: ServiceContext): Promise<ServiceHandle> {
  if (!ctx.endpoints.cassandra) throw new Error('the history service needs Cassandra');
  const store = await HistoryStore.connect(ctx.endpoints.cassandra);
  const cache = new EvCache(ctx.endpoints, ctx.component.zone);
  ctx.metrics.watchEvCache(cache.stats);
  const compactEveryMs = Number(ctx.component.settings.compactSeconds ?? 3600) * 1000;
  const compactAfterMs = Number(ctx.component.settings.compactAfterSeconds ?? 7 * 86_400) * 1000;
  const counts = { events: 0, refused: 0, reads: 0, compactions: 0, compactedRows: 0 };

  const consumer = await groupConsumer(ctx.endpoints, ctx.component.name, 'flix-history', [
    topics.viewingHeartbeats.name,
  ]);

  ctx.metrics.watchConsumer(consumer, 'flix-history');
  await consumer.run({
    // a failed write throws: kafkajs retries the batch from the last resolved offset
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const m of batch.messages) {
        const event = parseViewingEvent(m.value?.toString());
        if (event) {
          await store.record(event);
          counts.events++;
        } else counts.refused++;
        resolveOffset(m.offset);
      }
      await heartbeat();
    },
  });

  const compactNow = async () => {
    const me = `${ctx.component.name}-${process.pid}`;
    if ((await cache.claim('history-compaction', me, Math.ceil(compactEveryMs / 1000))) !== true) return;
    try {
      const r = await compactHistory(store, new Date(Date.now() - compactAfterMs), () => {}, ctx.signal);
      counts.compactions++;
      counts.compactedRows += r.rows;
      if (r.rows > 0) ctx.log.info('history compacted', { ...r });
    } catch (error) {
      ctx.log.warn('history compaction failed; the next run finishes it', { error: String(error) });
    }
  };
  const timer = setInterval(() => void compactNow(), compactEveryMs);
  timer.unref();

  const router = new Router().get('/v1/history', async (req): Promise<HistoryAnswer> => {
    if (!req.userId)
      throw new HttpError(401, 'missing-user', 'history is per user; call through the gateway');
    counts.reads++;
    const [live, compressed] = await Promise.all([store.live(req.userId), store.compressed(req.userId)]);
    // a row being moved is in both: it shows where it is newest
    const liveTitles = new Map(live.map((e) => [e.titleId, e.at]));
    return {
      userId: req.userId,
      live: latestByTitle(live),
      compressed: latestByTitle(compressed).filter((e) => {
        const l = liveTitles.get(e.titleId);
        return l === undefined || l < e.at;
      }),
    };
  });

  return {
    router,
    async stop() {
      clearInterval(timer);
      await consumer.disconnect().catch(() => {});
      cache.close();
      await store.close();
    },
    status: () => counts,
  };
}
