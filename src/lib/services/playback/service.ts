import { publicApiUrl } from '../../cluster/endpoints.js';
import { clusterSecrets } from '../../cluster/secrets.js';
import { EvCache } from '../../platform/evcache.js';
import { ensureTopics, kafkaFor, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { Router, reply } from '../../platform/http/router.js';
import { isolation } from '../../platform/resilience/index.js';
import { HistoryStore } from '../history/store.js';
import { Playback } from './play.js';
import { shareKey } from './share.js';

/** How often the plays counted here are sent to the catalog (popularity). */
const PLAYS_FLUSH_MS = 5000;

/**
 * The playback service: the one call a player makes to start (see Playback for its steps), the
 * heartbeats (onto Kafka for the history service, and the bookmark in EVCache), and the bookmarks
 * (the history service's store). Every dependency is isolated.
 *
 *   POST /v1/play {title, protocol?, zone?}            → {playId, title, position, edges, expiresAt}
 *   POST /v1/play/:playId/heartbeat {position, ...}    → 204 (403 another user's play, 404 unknown)
 *   DELETE /v1/play/:playId                            → 204: the play ended, its stream slot is free
 *   GET  /v1/bookmarks                                 → {bookmarks}
 *   POST /v1/shares {title, expiresInSeconds?}         → 201 {token, link, titleId, expiresAt}
 *   GET  /v1/shares/:token                             → {titleId, title, sharedBy, expiresAt} (403 forged, 410 expired)
 */
export async function startPlaybackService(ctx: ServiceContext): Promise<ServiceHandle> {
  if (!ctx.endpoints.cassandra) throw new Error('playback needs Cassandra (engines.cassandra)');
  const bookmarks = await HistoryStore.connect(ctx.endpoints.cassandra);
  const kafka = kafkaFor(ctx.endpoints, ctx.component.name);
  await ensureTopics(kafka);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const cache = new EvCache(ctx.endpoints, ctx.component.zone);
  ctx.metrics.watchEvCache(cache.stats);
  const bookmarkIsolation = isolation<number>('bookmarks', { timeoutMs: 1000, maxConcurrent: 64 });
  const heartbeatIsolation = isolation('kafka-heartbeats', { timeoutMs: 1000, maxConcurrent: 64 });
  /** zone → title id → plays since the last flush */
  const pendingPlays = new Map<string, Map<string, number>>();
  const playback = new Playback({
    ctx,
    bookmarks,
    // the event keeps the client's time; a Kafka that does not take it within a second is down
    publishHeartbeat: (e) =>
      heartbeatIsolation.execute(async () => {
        await producer.send({
          topic: topics.viewingHeartbeats.name,
          acks: -1,
          messages: [{ key: e.userId, value: JSON.stringify(e) }],
        });
      }),
    cache,
    bookmarkIsolation,
    edgeSigningKey: (await clusterSecrets(ctx.cluster)).edgeSigningKey,
    shareKey: shareKey(ctx.secrets.internalKey),
    publicBase: publicApiUrl(ctx.endpoints) ?? 'http://127.0.0.1',
    urlTtlSeconds: Number(ctx.component.settings.urlTtlSeconds ?? 6 * 3600),
    streamLeaseSeconds: Number(ctx.component.settings.streamLeaseSeconds ?? 30),
    onPlay: (titleId, zone) => {
      const inZone = pendingPlays.get(zone) ?? new Map<string, number>();
      inZone.set(titleId, (inZone.get(titleId) ?? 0) + 1);
      pendingPlays.set(zone, inZone);
    },
  });
  const flushPlays = async () => {
    if (pendingPlays.size === 0) return;
    const counts: Record<string, number> = {};
    const zones: Record<string, Record<string, number>> = {};
    for (const [zone, byTitle] of pendingPlays) {
      zones[zone] = Object.fromEntries(byTitle);
      for (const [titleId, n] of byTitle) counts[titleId] = (counts[titleId] ?? 0) + n;
    }
    pendingPlays.clear();
    const body = { counts, zones };
    await ctx.services.call('catalog', { method: 'POST', path: '/v1/plays', body }).catch(() => {
      // popularity is best effort; a lost batch only makes the top 10 a little stale
    });
  };
  const flushTimer = setInterval(() => void flushPlays(), PLAYS_FLUSH_MS);

  const router = new Router()
    .post('/v1/play', (req) => playback.play(req))
    .delete('/v1/play/:playId', async (req) => {
      await playback.stop(req);
      return reply(204);
    })
    .post('/v1/play/:playId/heartbeat', async (req) => {
      await playback.heartbeat(req);
      return reply(204);
    })
    .get('/v1/bookmarks', (req) => playback.listBookmarks(req))
    .post('/v1/shares', (req) => playback.share(req))
    .get('/v1/shares/:token', (req) => playback.openShare(req));

  return {
    router,
    async stop() {
      clearInterval(flushTimer);
      await flushPlays();
      cache.close();
      await producer.disconnect().catch(() => {});
      await bookmarks.close();
    },
    status: () => ({
      ...playback.counts,
      evcache: cache.stats,
      breakers: [...ctx.services.snapshot(), bookmarkIsolation.snapshot(), heartbeatIsolation.snapshot()],
    }),
  };
}
