import { randomBytes } from 'node:crypto';
import { signTitlePrefix } from '../../engines/edge/signing.js';
import type { EvCache } from '../../platform/evcache.js';
import type { ServiceContext } from '../../platform/host.js';
import { readErrorBody } from '../../platform/http/error-body.js';
import {
  HttpError,
  PLAN_HEADER,
  REGION_HEADER,
  reply,
  type ServiceRequest,
  SUBSCRIPTION_HEADER,
  validate,
} from '../../platform/http/router.js';
import type { CommandPolicy } from '../../platform/resilience/index.js';
import type { CallResult } from '../../platform/service-client.js';
import type { TraceContext } from '../../platform/tracing.js';
import type { CatalogTitle } from '../catalog/contract.js';
import { latestByTitle, type ViewingEvent } from '../history/contract.js';
import type { HistoryStore } from '../history/store.js';
import { type Plan, plans } from '../users/contract.js';
import {
  heartbeatSchema,
  type PlayAnswer,
  type PlayAnswerEdge,
  playRequestSchema,
  shareRequestSchema,
} from './contract.js';
import { signShare, verifyShare } from './share.js';
import { viewThresholdSeconds, watchedDelta } from './views.js';

interface PlaySession {
  userId: string;
  titleId: string;
  startedAt: number;
  zone: string | null;
  durationSeconds: number;
  /** the stream slot of the user's plan it holds (null when the slots could not be asked) */
  slot: number | null;
  /** the device the play said it is on */
  device?: string;
  /** where the play started (the bookmark, or 0), then the position of the last heartbeat */
  lastPosition?: number;
  /** media seconds played, from the heartbeats' positions (a seek adds nothing) */
  watchedSeconds?: number;
  /** the view was counted (the stats service answered) */
  viewCounted?: boolean;
}

interface SteeredEdge {
  name: string;
  zone: string;
  url: string;
  rank: number;
  reason: string;
}

/** Who a play is for and in which trace: what every dependency call carries. */
function callerOf(req: ServiceRequest): Caller {
  return {
    userId: requireUser(req.userId),
    region: (req.headers[REGION_HEADER] as string | undefined) ?? null,
    trace: req.trace,
  };
}

interface Caller {
  userId: string;
  region: string | null;
  trace: TraceContext;
}

const SESSION_TTL_SECONDS = 12 * 3600;
/** Bookmarks are read through EVCache (Cassandra is the record); a day in the cache. */
const BOOKMARK_TTL_SECONDS = 86_400;
/** How far ahead of this machine a client's clock may be. */
const MAX_CLOCK_AHEAD_MS = 60_000;
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
  /** how long a stream holds its slot without a heartbeat, seconds */
  streamLeaseSeconds: number;
  /** where each user is in each title: the history service's live and compressed history */
  bookmarks: HistoryStore;
  /** a heartbeat onto Kafka for the history service (rejects when Kafka cannot take it) */
  publishHeartbeat: (e: ViewingEvent) => Promise<void>;
  /** play sessions and bookmarks in EVCache */
  cache: EvCache;
  bookmarkIsolation: CommandPolicy<number>;
  edgeSigningKey: string;
  /** signs and checks share links (derived from the cluster's internal key) */
  shareKey: Buffer;
  /** the public API's base URL, for the links it hands out */
  publicBase: string;
  urlTtlSeconds: number;
  /** a play started, steered in `zone` (popularity is counted in batches) */
  onPlay: (titleId: string, zone: string) => void;
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
    const caller = callerOf(req);
    const degraded: string[] = [];
    const [plan, title] = await Promise.all([
      this.checkSubscription(caller, {
        subscription: req.headers[SUBSCRIPTION_HEADER] as string | undefined,
        plan: req.headers[PLAN_HEADER] as string | undefined,
      }),
      this.licensedTitle(caller, body.title),
    ]);
    if (!plan.known) this.degrade(degraded, 'users');
    const playId = `p_${randomBytes(12).toString('base64url')}`;
    const slot = await this.takeStream(caller.userId, playId, plan.plan);
    if (slot === null) this.degrade(degraded, 'streams');
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
    await this.openSession(playId, {
      userId: caller.userId,
      titleId: title.id,
      startedAt: Date.now(),
      zone,
      durationSeconds: title.durationSeconds,
      slot,
      device: body.device,
      lastPosition: position > 0 && position < title.durationSeconds - 1 ? position : 0,
      watchedSeconds: 0,
    });
    this.d.onPlay(title.id, zone);
    this.counts.plays++;
    return {
      playId,
      traceId: req.trace.traceId,
      protocol: body.protocol,
      title: { id: title.id, title: title.title, durationSeconds: title.durationSeconds },
      position: position > 0 && position < title.durationSeconds - 1 ? position : 0,
      expiresAt,
      plan: { id: plan.plan.id, maxHeight: plan.plan.maxHeight, maxStreams: plan.plan.maxStreams },
      edges: this.signEdges(title, steered, expiresAt, plan.plan.maxHeight),
      degraded,
    };
  }

  /** DELETE /v1/play/:playId: the play is over; its stream slot is free at once. */
  async stop(req: ServiceRequest): Promise<void> {
    const userId = requireUser(req.userId);
    const session = await this.ownSession(userId, req.params.playId as string);
    if (session.slot !== null)
      await this.d.cache.release(streamKey(userId, session.slot), req.params.playId as string);
    await this.d.cache.delete(`play:${req.params.playId}`);
  }

  /**
   * A stream slot of the user's plan for this play (memcached `add` on the key's owner node: two
   * plays at the same instant cannot take one slot). 409 when every slot is held; null when the
   * slots cannot be asked (a viewer then plays: availability first).
   */
  private async takeStream(userId: string, playId: string, plan: Plan): Promise<number | null> {
    let unknown = false;
    for (let slot = 0; slot < plan.maxStreams; slot++) {
      const took = await this.d.cache.claim(streamKey(userId, slot), playId, this.d.streamLeaseSeconds);
      if (took === true) return slot;
      if (took === null) unknown = true;
    }
    if (unknown) return null;
    this.counts.refused++;
    throw new HttpError(
      409,
      'too-many-streams',
      `the ${plan.name} plan plays ${plan.maxStreams} stream${plan.maxStreams === 1 ? '' : 's'} at once; stop one (a stream ends ${this.d.streamLeaseSeconds} s after its last heartbeat)`,
      { plan: plan.id, maxStreams: plan.maxStreams, leaseSeconds: this.d.streamLeaseSeconds },
    );
  }

  /** POST /v1/play/:playId/heartbeat: the bookmark moves (Cassandra, then EVCache). */
  async heartbeat(req: ServiceRequest): Promise<void> {
    const userId = requireUser(req.userId);
    const body = validate(heartbeatSchema, req.body);
    const session = await this.ownSession(userId, req.params.playId as string);
    // a position past the end (by more than a segment's worth) is not a place in this title
    if (body.position > session.durationSeconds + 10) {
      throw new HttpError(
        400,
        'invalid-request',
        `position: ${body.position} s is past the end of the title (${session.durationSeconds.toFixed(1)} s)`,
      );
    }
    this.counts.heartbeats++;
    if (session.slot !== null) {
      await this.d.cache.renewClaim(
        streamKey(userId, session.slot),
        req.params.playId as string,
        this.d.streamLeaseSeconds,
      );
    }
    // the client's clock orders a user's heartbeats across devices; a clock far ahead is refused
    const at = body.sentAt ?? Date.now();
    if (at > Date.now() + MAX_CLOCK_AHEAD_MS)
      throw new HttpError(
        400,
        'invalid-request',
        'sentAt: the event time is in the future; check the device clock',
      );
    const event: ViewingEvent = {
      userId,
      titleId: session.titleId,
      position: body.position,
      at,
      device: body.device ?? session.device ?? 'unknown',
      playId: req.params.playId as string,
    };
    // the history service applies it from Kafka; when Kafka cannot take it, it is written here
    // (the same last-write-wins row), so a heartbeat is never lost to a Kafka outage
    await this.d.publishHeartbeat(event).catch(async () => {
      this.degrade([], 'heartbeats-direct');
      await this.d.bookmarkIsolation.execute(() => this.d.bookmarks.record(event));
    });
    // the next play on any device resumes from here at once, unless a newer heartbeat is there
    const key = bookmarkKey(userId, session.titleId);
    const cached = await this.d.cache.getJson<{ position: number; at?: number }>(key);
    if (!cached || (cached.at ?? 0) <= at)
      await this.d.cache.setJson(key, { position: body.position, at }, BOOKMARK_TTL_SECONDS);
    await this.countView(req, session, body.position);
  }

  /**
   * Adds the heartbeat's media time to the play, and once it passes the view threshold asks the
   * stats service to count the view (once per play: it keeps which plays it counted). A failure
   * there never fails the heartbeat; the next heartbeat asks again.
   */
  private async countView(req: ServiceRequest, session: PlaySession, position: number): Promise<void> {
    const playId = req.params.playId as string;
    // a counted play has nothing more to count: its session needs no rewrite
    if (session.viewCounted === true) return;
    const first = (session.watchedSeconds ?? 0) === 0;
    const watched = (session.watchedSeconds ?? 0) + watchedDelta(session.lastPosition ?? 0, position, first);
    let counted = false;
    if (!counted && watched >= viewThresholdSeconds(session.durationSeconds)) {
      try {
        const r = await this.d.ctx.services.call('stats', {
          method: 'POST',
          path: '/v1/views',
          body: { playId, titleId: session.titleId },
          trace: req.trace,
        });
        counted = r.status === 200;
      } catch {
        this.counts.degraded.views = (this.counts.degraded.views ?? 0) + 1;
      }
    }
    await this.openSession(playId, {
      ...session,
      lastPosition: position,
      watchedSeconds: watched,
      viewCounted: counted,
    });
  }

  /** POST /v1/shares {title, expiresInSeconds?}: a signed link to a title the caller may play. */
  async share(req: ServiceRequest) {
    const body = validate(shareRequestSchema, req.body);
    const caller = callerOf(req);
    const title = await this.licensedTitle(caller, body.title);
    const expiresAt = Math.floor(Date.now() / 1000) + body.expiresInSeconds;
    const token = signShare(this.d.shareKey, { titleId: title.id, sharedBy: caller.userId, expiresAt });
    return reply(201, {
      token,
      link: `${this.d.publicBase}/api/shares/${token}`,
      titleId: title.id,
      title: title.title,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    });
  }

  /**
   * GET /v1/shares/:token: what a link shares, for another user: 403 `invalid-share` when it was
   * not signed here or was changed, 410 `share-expired`, and the title's licence for the caller.
   */
  async openShare(req: ServiceRequest) {
    const caller = callerOf(req);
    const check = verifyShare(this.d.shareKey, req.params.token as string);
    if (!check.ok) {
      this.counts.refused++;
      if (check.why === 'expired')
        throw new HttpError(410, 'share-expired', 'this share link has expired; ask for a new one');
      throw new HttpError(
        403,
        'invalid-share',
        'this share link was not made by this cluster, or was changed',
      );
    }
    const title = await this.licensedTitle(caller, check.claims.titleId);
    return {
      titleId: title.id,
      title: title.title,
      sharedBy: check.claims.sharedBy,
      expiresAt: new Date(check.claims.expiresAt * 1000).toISOString(),
    };
  }

  /** GET /v1/bookmarks */
  async listBookmarks(req: ServiceRequest) {
    const userId = requireUser(req.userId);
    const [live, compressed] = await Promise.all([
      this.d.bookmarks.live(userId),
      this.d.bookmarks.compressed(userId),
    ]);
    return {
      bookmarks: latestByTitle(live, compressed).map((e) => ({
        titleId: e.titleId,
        position: e.position,
        updatedAt: e.at,
      })),
    };
  }

  /** The caller's own play session: 404 when unknown, 403 when another user's. */
  private async ownSession(userId: string, playId: string): Promise<PlaySession> {
    const session = await this.d.cache.getJson<PlaySession>(`play:${playId}`);
    if (!session) throw new HttpError(404, 'unknown-play', `no play ${playId} (expired or never started)`);
    if (session.userId !== userId) throw new HttpError(403, 'forbidden', 'this play belongs to another user');
    return session;
  }

  private degrade(degraded: string[], what: string): void {
    degraded.push(what);
    this.counts.degraded[what] = (this.counts.degraded[what] ?? 0) + 1;
  }

  /**
   * Refuses an inactive subscription (403) and gives the plan. The gateway passes what it saw
   * when it verified the token; otherwise users is asked. When users cannot be asked the verified
   * token is enough, and the plan is the smallest (`known: false`): a viewer plays, never more
   * than was paid for.
   */
  private async checkSubscription(
    caller: Caller,
    seen: { subscription: string | undefined; plan: string | undefined },
  ): Promise<{ plan: Plan; known: boolean }> {
    let status = seen.subscription;
    let planId = seen.plan;
    if (status === undefined || planId === undefined) {
      const outcome = await this.d.ctx.services.callWithFallback<
        { subscription: { status: string }; plan: { id: string } },
        null
      >('users', { ...caller, path: `/v1/users/${encodeURIComponent(caller.userId)}` }, () => null);
      if (outcome.degraded) return { plan: SMALLEST_PLAN, known: false };
      const user = expectOk(outcome.value, 'users');
      status = user.subscription.status;
      planId = user.plan.id;
    }
    if (status !== 'active') {
      this.counts.refused++;
      throw new HttpError(403, 'subscription-inactive', 'the subscription is not active; renew it to play');
    }
    return { plan: plans.find((p) => p.id === planId) ?? SMALLEST_PLAN, known: true };
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
    const position = await this.d.bookmarkIsolation.execute(() => this.d.bookmarks.position(userId, titleId));
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

  /**
   * The manifests' signed URLs on every ranked edge, for the plan: the manifests that offer only
   * the renditions the plan allows, and links that open only those (the edge refuses the rest).
   */
  private signEdges(
    title: CatalogTitle,
    steered: SteeredEdge[],
    expiresAt: number,
    maxHeight: number,
  ): PlayAnswerEdge[] {
    const rel = (key: string) => key.slice(`titles/${title.id}/`.length);
    const manifests = manifestsFor(title, maxHeight);
    return steered.map((e) => {
      const prefix = signTitlePrefix(e.url, title.id, {
        secret: this.d.edgeSigningKey,
        expiresAt,
        maxHeight,
      });
      return {
        name: e.name,
        zone: e.zone,
        rank: e.rank,
        reason: e.reason,
        hls: new URL(rel(manifests.hls), prefix).toString(),
        dash: new URL(rel(manifests.dash), prefix).toString(),
      };
    });
  }

  /** A play session in EVCache, for its heartbeats. */
  private async openSession(playId: string, session: PlaySession): Promise<void> {
    await this.d.cache.setJson(`play:${playId}`, session, SESSION_TTL_SECONDS);
  }
}

const bookmarkKey = (userId: string, titleId: string) => `bookmark:${userId}:${titleId}`;
const streamKey = (userId: string, slot: number) => `stream:${userId}:${slot}`;

/** The plan whose limits hold when the user's own cannot be known. */
const SMALLEST_PLAN = plans[0] as Plan;

/**
 * The manifests a plan is offered: those listing every rendition up to its height — the full
 * ones when the title's tallest rendition is within it.
 */
export function manifestsFor(
  title: Pick<CatalogTitle, 'manifests' | 'cappedManifests' | 'renditions'>,
  maxHeight: number,
): { hls: string; dash: string } {
  const height = (r: { name: string; width: number; height: number }) =>
    Number(/^(\d+)p$/.exec(r.name)?.[1] ?? Math.min(r.width, r.height));
  const allowed = title.renditions.filter((r) => height(r) <= maxHeight);
  const top = allowed[0] ?? title.renditions.at(-1);
  if (!top || top === title.renditions[0]) return title.manifests;
  return title.cappedManifests[top.name] ?? title.manifests;
}

function requireUser(userId: string | null): string {
  if (!userId)
    throw new HttpError(401, 'missing-user', 'playback is called through the gateway, which names the user');
  return userId;
}
