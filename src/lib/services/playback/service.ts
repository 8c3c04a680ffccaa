import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { clusterSecrets } from '../../cluster/secrets.js';
import { signTitlePrefix } from '../../engines/edge/signing.js';
import { EvCache } from '../../platform/evcache.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import {
  HttpError,
  REGION_HEADER,
  Router,
  reply,
  SUBSCRIPTION_HEADER,
  validate,
} from '../../platform/http/router.js';
import { isolation } from '../../platform/resilience/index.js';
import type { CallResult } from '../../platform/service-client.js';
import type { CatalogTitle } from '../catalog/contract.js';
import { BookmarkStore } from './store.js';

const playRequest = z.strictObject({
  title: z.string().min(1).max(255),
  protocol: z.enum(['hls', 'dash']).default('hls'),
  zone: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,7}$/)
    .optional(),
});
const heartbeat = z.strictObject({
  position: z.number().min(0).max(1e7),
  rendition: z.string().max(32).optional(),
  edge: z.string().max(64).optional(),
  bufferSeconds: z.number().min(0).max(1e5).optional(),
});

interface PlaySession {
  userId: string;
  titleId: string;
  startedAt: number;
  zone: string | null;
}

interface SteeredEdge {
  name: string;
  zone: string;
  url: string;
  rank: number;
  reason: string;
}

const SESSION_TTL_SECONDS = 12 * 3600;
/** Bookmarks are read through EVCache (Cassandra is the record); a day in the cache. */
const BOOKMARK_TTL_SECONDS = 86_400;
/** How long a steering answer for one title and zone is reused. */
const STEERING_REUSE_MS = 1000;
/** How often the plays counted here are sent to the catalog (popularity). */
const PLAYS_FLUSH_MS = 5000;

/** Tells 4xx answers of a dependency (its verdict, passed on) from successes. */
function expectOk<T>(r: CallResult<T>, service: string): T {
  if (r.status < 300) return r.body;
  const err = (r.body as { error?: { code?: string; message?: string } })?.error;
  throw new HttpError(
    r.status,
    err?.code ?? `${service}-refused`,
    err?.message ?? `${service} answered ${r.status}`,
  );
}

/**
 * The playback service: the one call a player makes to start. It checks the subscription
 * (users), the title and its licence for the caller's region (catalog), reads the bookmark
 * (Cassandra), asks steering for the edges, and answers with signed URLs on each edge in rank
 * order. Heartbeats move the bookmark. Every dependency is isolated; those that can degrade do:
 * users down → the token the gateway verified is enough; steering down → every edge, own zone
 * first; bookmarks down → start at 0.
 *
 *   POST /v1/play {title, protocol?, zone?}            → {playId, title, position, edges, expiresAt}
 *   POST /v1/play/:playId/heartbeat {position, ...}    → 204 (403 another user's play, 404 unknown)
 *   GET  /v1/bookmarks                                 → {bookmarks}
 */
export async function startPlaybackService(ctx: ServiceContext): Promise<ServiceHandle> {
  if (!ctx.endpoints.cassandra) throw new Error('playback needs Cassandra (engines.cassandra)');
  const bookmarks = await BookmarkStore.connect(ctx.endpoints.cassandra);
  const sessions = new EvCache(ctx.endpoints, ctx.component.zone);
  const { edgeSigningKey } = await clusterSecrets(ctx.cluster);
  const urlTtl = Number(ctx.component.settings.urlTtlSeconds ?? 6 * 3600);
  const bookmarkIsolation = isolation<number>('bookmarks', { timeoutMs: 1000, maxConcurrent: 64 });
  const counts = { plays: 0, heartbeats: 0, refused: 0, degraded: {} as Record<string, number> };
  const degrade = (what: string) => {
    counts.degraded[what] = (counts.degraded[what] ?? 0) + 1;
  };
  const allEdges = ctx.endpoints.edges;
  const bookmarkKey = (userId: string, titleId: string) => `bookmark:${userId}:${titleId}`;
  /** The bookmark through EVCache: Cassandra only on a miss (and the answer, 0 too, cached). */
  const readBookmark = async (userId: string, titleId: string): Promise<number> => {
    const cached = await sessions.getJson<{ position: number }>(bookmarkKey(userId, titleId));
    if (cached) return cached.position;
    const position = await bookmarkIsolation.execute(() => bookmarks.get(userId, titleId));
    void sessions.setJson(bookmarkKey(userId, titleId), { position }, BOOKMARK_TTL_SECONDS);
    return position;
  };
  const steeringCache = new Map<string, { at: number; edges: SteeredEdge[] }>();
  const pendingPlays = new Map<string, number>();
  const flushPlays = async () => {
    if (pendingPlays.size === 0) return;
    const counts = Object.fromEntries(pendingPlays);
    pendingPlays.clear();
    await ctx.services.call('catalog', { method: 'POST', path: '/v1/plays', body: { counts } }).catch(() => {
      // popularity is best effort; a lost batch only makes the top 10 a little stale
    });
  };
  const flushTimer = setInterval(() => void flushPlays(), PLAYS_FLUSH_MS);

  const requireUser = (userId: string | null): string => {
    if (!userId)
      throw new HttpError(
        401,
        'missing-user',
        'playback is called through the gateway, which names the user',
      );
    return userId;
  };

  const router = new Router()
    .post('/v1/play', async (req) => {
      const userId = requireUser(req.userId);
      const body = validate(playRequest, req.body);
      const region = (req.headers[REGION_HEADER] as string | undefined) ?? null;
      const call = { trace: req.trace, userId, region };
      const degraded: string[] = [];

      // the gateway passes the subscription it saw when it verified the token; ask users otherwise
      const knownSubscription = req.headers[SUBSCRIPTION_HEADER] as string | undefined;
      const [userOutcome, titleAnswer] = await Promise.all([
        knownSubscription
          ? {
              degraded: false as const,
              value: { status: 200, body: { subscription: { status: knownSubscription } } },
            }
          : ctx.services.callWithFallback<{ subscription: { status: string } }, null>(
              'users',
              { ...call, path: `/v1/users/${encodeURIComponent(userId)}` },
              () => null,
            ),
        ctx.services.call<CatalogTitle & { licensed: boolean }>('catalog', {
          ...call,
          path: `/v1/titles/${encodeURIComponent(body.title)}`,
        }),
      ]);
      if (userOutcome.degraded) {
        degraded.push('users');
        degrade('users');
      } else {
        const user = expectOk(userOutcome.value as CallResult<{ subscription: { status: string } }>, 'users');
        if (user.subscription.status !== 'active') {
          counts.refused++;
          throw new HttpError(
            403,
            'subscription-inactive',
            'the subscription is not active; renew it to play',
          );
        }
      }
      const title = expectOk(titleAnswer, 'catalog');
      if (!title.licensed) {
        counts.refused++;
        throw new HttpError(451, 'not-licensed', `${title.title} is not licensed in region ${region}`, {
          region,
          licensedIn: title.regions,
        });
      }

      const zone = body.zone ?? ctx.component.zone ?? allEdges[0]?.zone ?? 'a';
      const [position, steered] = await Promise.all([
        readBookmark(userId, title.id).catch(() => {
          degraded.push('bookmarks');
          degrade('bookmarks');
          return 0;
        }),
        (async () => {
          const key = `${title.id}:${zone}`;
          const reuse = steeringCache.get(key);
          if (reuse && Date.now() - reuse.at < STEERING_REUSE_MS) return reuse.edges;
          const o = await ctx.services.callWithFallback<{ edges: SteeredEdge[] }, null>(
            'steering',
            { ...call, method: 'POST', path: '/v1/steer', body: { titleId: title.id, zone } },
            () => null,
          );
          if (!o.degraded && o.value.status === 200) {
            const edges = o.value.body.edges.filter((e) => e.url);
            steeringCache.set(key, { at: Date.now(), edges });
            return edges;
          }
          // steering is down or refused: every edge, own zone first
          degraded.push('steering');
          degrade('steering');
          // static order: own zone first
          return [...allEdges]
            .sort((a, b) => Number(b.zone === zone) - Number(a.zone === zone))
            .map((e, i) => ({
              name: e.name,
              zone: e.zone,
              url: e.url,
              rank: i + 1,
              reason: 'static order (steering unavailable)',
            }));
        })(),
      ]);

      const expiresAt = Math.floor(Date.now() / 1000) + urlTtl;
      const rel = (key: string) => key.slice(`titles/${title.id}/`.length);
      const edges = steered.map((e) => {
        const prefix = signTitlePrefix(e.url, title.id, { secret: edgeSigningKey, expiresAt });
        return {
          name: e.name,
          zone: e.zone,
          rank: e.rank,
          reason: e.reason,
          hls: new URL(rel(title.manifests.hls), prefix).toString(),
          dash: new URL(rel(title.manifests.dash), prefix).toString(),
        };
      });
      const playId = `p_${randomBytes(12).toString('base64url')}`;
      const session: PlaySession = { userId, titleId: title.id, startedAt: Date.now(), zone };
      await sessions.setJson(`play:${playId}`, session, SESSION_TTL_SECONDS);
      // popularity: counted here, sent to the catalog in batches
      pendingPlays.set(title.id, (pendingPlays.get(title.id) ?? 0) + 1);
      counts.plays++;
      return {
        playId,
        traceId: req.trace.traceId,
        protocol: body.protocol,
        title: { id: title.id, title: title.title, durationSeconds: title.durationSeconds },
        position: position > 0 && position < title.durationSeconds - 1 ? position : 0,
        expiresAt,
        edges,
        degraded,
      };
    })
    .post('/v1/play/:playId/heartbeat', async (req) => {
      const userId = requireUser(req.userId);
      const body = validate(heartbeat, req.body);
      const session = await sessions.getJson<PlaySession>(`play:${req.params.playId}`);
      if (!session)
        throw new HttpError(404, 'unknown-play', `no play ${req.params.playId} (expired or never started)`);
      if (session.userId !== userId)
        throw new HttpError(403, 'forbidden', 'this play belongs to another user');
      counts.heartbeats++;
      await bookmarkIsolation.execute(() => bookmarks.put(userId, session.titleId, body.position));
      await sessions.setJson(
        bookmarkKey(userId, session.titleId),
        { position: body.position },
        BOOKMARK_TTL_SECONDS,
      );
      return reply(204);
    })
    .get('/v1/bookmarks', async (req) => {
      const userId = requireUser(req.userId);
      return { bookmarks: await bookmarks.list(userId) };
    });

  return {
    router,
    async stop() {
      clearInterval(flushTimer);
      await flushPlays();
      sessions.close();
      await bookmarks.close();
    },
    status: () => ({
      ...counts,
      evcache: sessions.stats,
      breakers: [...ctx.services.snapshot(), bookmarkIsolation.snapshot()],
    }),
  };
}
