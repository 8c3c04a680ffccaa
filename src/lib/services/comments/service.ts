import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router, reply, type ServiceRequest, validate } from '../../platform/http/router.js';
import { OPERATOR } from '../../platform/internal-auth.js';
import { isolation } from '../../platform/resilience/index.js';
import { titleForRequest } from '../catalog/contract.js';
import { type CommentPage, decodeCursor, encodeCursor, listQuery, newCommentBody } from './contract.js';
import { CommentStore } from './store.js';

/**
 * The comments service: comments per title in Cassandra, newest first with a cursor; a user
 * deletes their own (the operator any); a per-user rate limit over every title.
 *
 *   GET    /v1/comments/:title?limit=&cursor=  → CommentPage
 *   POST   /v1/comments/:title {text}          → 201 CommentView (429 over the rate limit)
 *   DELETE /v1/comments/:title/:id             → 204 (403 another user's, 404 unknown)
 */
export async function startCommentsService(ctx: ServiceContext): Promise<ServiceHandle> {
  if (!ctx.endpoints.cassandra) throw new Error('the comments service needs Cassandra');
  const store = await CommentStore.connect(ctx.endpoints.cassandra);
  const maxChars = Number(ctx.component.settings.maxChars ?? 2000);
  const perMinute = Number(ctx.component.settings.perUserPerMinute ?? 5);
  const bodySchema = newCommentBody(maxChars);
  const cassandra = isolation('cassandra', {
    timeoutMs: 2000,
    maxConcurrent: 64,
    breaker: { minimumRequests: 5, halfOpenAfterMs: 5000, windowMs: 10_000 },
  });
  const counts = { added: 0, listed: 0, deleted: 0, rateLimited: 0 };

  const titleFor = (req: ServiceRequest, playable: boolean) =>
    titleForRequest(ctx.services, req, { playable });
  const needUser = (req: ServiceRequest): string => {
    if (!req.userId)
      throw new HttpError(401, 'missing-user', "comments are a user's; call through the gateway");
    return req.userId;
  };

  const router = new Router()
    .get('/v1/comments/:title', async (req): Promise<CommentPage> => {
      const q = validate(listQuery, Object.fromEntries(req.query), 'query');
      const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
      if (q.cursor !== undefined && !cursor)
        throw new HttpError(
          400,
          'invalid-request',
          'cursor: not a cursor this API handed out (use the `next` of a page)',
        );
      const t = await titleFor(req, false);
      const page = await cassandra.execute(() => store.page(t.id, q.limit, cursor));
      counts.listed++;
      const last = page.comments.at(-1);
      return {
        titleId: t.id,
        comments: page.comments,
        next: page.more && last ? encodeCursor({ day: last.createdAt.slice(0, 10), after: last.id }) : null,
      };
    })
    .post('/v1/comments/:title', async (req) => {
      const userId = needUser(req);
      const { text } = validate(bodySchema, req.body);
      const t = await titleFor(req, true);
      const slot = await cassandra.execute(() => store.takeCommentSlot(userId, perMinute, 60_000));
      if (!slot) {
        counts.rateLimited++;
        throw new HttpError(
          429,
          'too-many-comments',
          `at most ${perMinute} comments a minute; try again shortly`,
          { perMinute },
          { 'retry-after': '60' },
        );
      }
      const c = await cassandra.execute(() => store.add(t.id, userId, text));
      counts.added++;
      return reply(201, c);
    })
    .delete('/v1/comments/:title/:id', async (req) => {
      const operator = req.userId === null && req.caller === OPERATOR;
      const userId = operator ? null : needUser(req);
      const t = await titleFor(req, false);
      const c = await cassandra.execute(() => store.get(t.id, req.params.id as string));
      if (!c) throw new HttpError(404, 'unknown-comment', `no comment ${req.params.id} on this title`);
      if (!operator && c.userId !== userId)
        throw new HttpError(403, 'forbidden', 'you may delete only your own comments');
      await cassandra.execute(() => store.delete(c));
      counts.deleted++;
      return reply(204);
    });

  return {
    router,
    async stop() {
      await store.close();
    },
    status: () => ({ ...counts, breakers: [cassandra.snapshot(), ...ctx.services.snapshot()] }),
  };
}
