import { randomBytes } from 'node:crypto';
import { signTitlePrefix } from '../../engines/edge/signing.js';
import type { EvCache } from '../../platform/evcache.js';
import type { ServiceContext } from '../../platform/host.js';
import { readErrorBody } from '../../platform/http/error-body.js';
import {
  HttpError,
  REGION_HEADER,
  type ServiceRequest,
  SUBSCRIPTION_HEADER,
  validate,
} from '../../platform/http/router.js';
import type { CommandPolicy } from '../../platform/resilience/index.js';
import type { CallResult } from '../../platform/service-client.js';
import type { TraceContext } from '../../platform/tracing.js';
import type { CatalogTitle } from '../catalog/contract.js';
import { heartbeatSchema, type PlayAnswer, type PlayAnswerEdge, playRequestSchema } from './contract.js';
import type { BookmarkStore } from './store.js';

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

/** Who a play is for and in which trace: what every dependency call carries. */
interface Caller {
  userId: string;
  region: string | null;
  trace: TraceContext;
}

const SESSION_TTL_SECONDS = 12 * 3600;
/** Bookmarks are read through EVCache (Cassandra is the record); a day in the cache. */
const BOOKMARK_TTL_SECONDS = 86_400;
/** How long a steering answer for one title and zone is reused. */
const STEERING_REUSE_MS = 1000;

/** Tells 4xx answers of a dependency (its verdict, passed on) from successes. */
function expectOk<T>(r: CallResult<T>, service: string): T {
  if (r.status < 300) return r.body;
  const err = readErrorBody(r.body);
  throw new HttpError(
    r.status,
    err?.code ?? `${service}-refused`,
    err?.message || `${service} answered ${r.status}`,
  );
}

export interface PlayDeps {
  ctx: ServiceContext;
  bookmarks: BookmarkStore;
  /** play sessions and bookmarks in EVCache */
  cache: EvCache;
  bookmarkIsolation: CommandPolicy<number>;
  edgeSigningKey: string;
  urlTtlSeconds: number;
  /** a play started (popularity is counted in batches) */
  onPlay: (titleId: string) => void;
}

/**
 * What playback does for a player, one step per dependency: the subscription (users, or the one
 * the gateway saw), the title and its licence for the caller's region (catalog), the bookmark
 * (EVCache, Cassandra on a miss), the edges (steering), then signed URLs on each edge in rank
 * order. Steps that can degrade do — users down → the verified token is enough; steering down →
 * every edge, own zone first; bookmarks down → start at 0 — and the answer says which did.
 */
export class Playback {
  readonly counts = { plays: 0, heartbeats: 0, refused: 0, degraded: {} as Record<string, number> };
  private readonly steeringCache = new Map<string, { at: number; edges: SteeredEdge[] }>();

  constructor(private readonly d: PlayDeps) {}

  /** POST /v1/play */
  async play(req: ServiceRequest): Promise<PlayAnswer> {
    const body = validate(playRequestSchema, req.body);
    const caller: Caller = {
      userId: requireUser(req.userId),
      region: (req.headers[REGION_HEADER] as string | undefined) ?? null,
      trace: req.trace,
    };
    const degraded: string[] = [];
    const [subscriptionOk, title] = await Promise.all([
      this.checkSubscription(caller, req.headers[SUBSCRIPTION_HEADER] as string | undefined),
      this.licensedTitle(caller, body.title),
    ]);
    if (!subscriptionOk) this.degrade(degraded, 'users');
    const zone = body.zone ?? this.d.ctx.component.zone ?? this.d.ctx.endpoints.edges[0]?.zone ?? 'a';
    const [position, steered] = await Promise.all([
      this.bookmark(caller.userId, title.id).catch(() => {
        this.degrade(degraded, 'bookmarks');
        return 0;
      }),
      this.steer(caller, title.id, zone).then((s) => {
        if (s.degraded) this.degrade(degraded, 'steering');
        return s.edges;
      }),
    ]);
    const expiresAt = Math.floor(Date.now() / 1000) + this.d.urlTtlSeconds;
    const playId = await this.openSession({
      userId: caller.userId,
      titleId: title.id,
      startedAt: Date.now(),
      zone,
    });
    this.d.onPlay(title.id);
    this.counts.plays++;
    return {
      playId,
      traceId: req.trace.traceId,
      protocol: body.protocol,
      title: { id: title.id, title: title.title, durationSeconds: title.durationSeconds },
      position: position > 0 && position < title.durationSeconds - 1 ? position : 0,
      expiresAt,
      edges: this.signEdges(title, steered, expiresAt),
      degraded,
    };
  }

  /** POST /v1/play/:playId/heartbeat: the bookmark moves (Cassandra, then EVCache). */
  async heartbeat(req: ServiceRequest): Promise<void> {
    const userId = requireUser(req.userId);
    const body = validate(heartbeatSchema, req.body);
    const session = await this.d.cache.getJson<PlaySession>(`play:${req.params.playId}`);
    if (!session)
      throw new HttpError(404, 'unknown-play', `no play ${req.params.playId} (expired or never started)`);
    if (session.userId !== userId) throw new HttpError(403, 'forbidden', 'this play belongs to another user');
    this.counts.heartbeats++;
    await this.d.bookmarkIsolation.execute(() =>
      this.d.bookmarks.put(userId, session.titleId, body.position),
    );
    await this.d.cache.setJson(
      bookmarkKey(userId, session.titleId),
      { position: body.position },
      BOOKMARK_TTL_SECONDS,
    );
  }

  /** GET /v1/bookmarks */
  async listBookmarks(req: ServiceRequest) {
    return { bookmarks: await this.d.bookmarks.list(requireUser(req.userId)) };
  }

  private degrade(degraded: string[], what: string): void {
    degraded.push(what);
    this.counts.degraded[what] = (this.counts.degraded[what] ?? 0) + 1;
  }

  /**
   * Refuses an inactive subscription (403). The gateway passes the status it saw when it verified
   * the token; otherwise users is asked. False when users could not be asked (the verified token
   * is then enough).
   */
  private async checkSubscription(caller: Caller, known: string | undefined): Promise<boolean> {
    let status = known;
    if (status === undefined) {
      const outcome = await this.d.ctx.services.callWithFallback<{ subscription: { status: string } }, null>(
        'users',
        { ...caller, path: `/v1/users/${encodeURIComponent(caller.userId)}` },
        () => null,
      );
      if (outcome.degraded) return false;
      status = expectOk(outcome.value, 'users').subscription.status;
    }
    if (status !== 'active') {
      this.counts.refused++;
      throw new HttpError(403, 'subscription-inactive', 'the subscription is not active; renew it to play');
    }
    return true;
  }

  /** The title from the catalog (404 unknown), refused with 451 where it is not licensed. */
  private async licensedTitle(caller: Caller, idOrName: string): Promise<CatalogTitle> {
    const answer = await this.d.ctx.services.call<CatalogTitle & { licensed: boolean }>('catalog', {
      ...caller,
      path: `/v1/titles/${encodeURIComponent(idOrName)}`,
    });
    const title = expectOk(answer, 'catalog');
    if (!title.licensed) {
      this.counts.refused++;
      throw new HttpError(451, 'not-licensed', `${title.title} is not licensed in region ${caller.region}`, {
        region: caller.region,
        licensedIn: title.regions,
      });
    }
    return title;
  }

  /** The bookmark through EVCache: Cassandra only on a miss (and the answer, 0 too, cached). */
  private async bookmark(userId: string, titleId: string): Promise<number> {
    const cached = await this.d.cache.getJson<{ position: number }>(bookmarkKey(userId, titleId));
    if (cached) return cached.position;
    const position = await this.d.bookmarkIsolation.execute(() => this.d.bookmarks.get(userId, titleId));
    void this.d.cache.setJson(bookmarkKey(userId, titleId), { position }, BOOKMARK_TTL_SECONDS);
    return position;
  }

  /** The ranked edges: steering's answer (reused for a second per title and zone), else every edge. */
  private async steer(
    caller: Caller,
    titleId: string,
    zone: string,
  ): Promise<{ edges: SteeredEdge[]; degraded: boolean }> {
    const key = `${titleId}:${zone}`;
    const reuse = this.steeringCache.get(key);
    if (reuse && Date.now() - reuse.at < STEERING_REUSE_MS) return { edges: reuse.edges, degraded: false };
    const o = await this.d.ctx.services.callWithFallback<{ edges: SteeredEdge[] }, null>(
      'steering',
      { ...caller, method: 'POST', path: '/v1/steer', body: { titleId, zone } },
      () => null,
    );
    if (!o.degraded && o.value.status === 200) {
      const edges = o.value.body.edges.filter((e) => e.url);
      this.steeringCache.set(key, { at: Date.now(), edges });
      return { edges, degraded: false };
    }
    // steering is down or refused: every edge in a static order, own zone first
    const edges = [...this.d.ctx.endpoints.edges]
      .sort((a, b) => Number(b.zone === zone) - Number(a.zone === zone))
      .map((e, i) => ({
        name: e.name,
        zone: e.zone,
        url: e.url,
        rank: i + 1,
        reason: 'static order (steering unavailable)',
      }));
    return { edges, degraded: true };
  }

  /** The manifests' signed URLs on every ranked edge. */
  private signEdges(title: CatalogTitle, steered: SteeredEdge[], expiresAt: number): PlayAnswerEdge[] {
    const rel = (key: string) => key.slice(`titles/${title.id}/`.length);
    return steered.map((e) => {
      const prefix = signTitlePrefix(e.url, title.id, { secret: this.d.edgeSigningKey, expiresAt });
      return {
        name: e.name,
        zone: e.zone,
        rank: e.rank,
        reason: e.reason,
        hls: new URL(rel(title.manifests.hls), prefix).toString(),
        dash: new URL(rel(title.manifests.dash), prefix).toString(),
      };
    });
  }

  /** A play session in EVCache, for its heartbeats. */
  private async openSession(session: PlaySession): Promise<string> {
    const playId = `p_${randomBytes(12).toString('base64url')}`;
    await this.d.cache.setJson(`play:${playId}`, session, SESSION_TTL_SECONDS);
    return playId;
  }
}

const bookmarkKey = (userId: string, titleId: string) => `bookmark:${userId}:${titleId}`;

function requireUser(userId: string | null): string {
  if (!userId)
    throw new HttpError(401, 'missing-user', 'playback is called through the gateway, which names the user');
  return userId;
}
