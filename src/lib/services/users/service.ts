import { z } from 'zod';
import { isRegion } from '../../core/regions.js';
import { mysqlPool } from '../../engines/mysql/client.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router, reply, type ServiceRequest, validate } from '../../platform/http/router.js';
import { OPERATOR } from '../../platform/internal-auth.js';
import { createToken, DEFAULT_TOKEN_TTL_SECONDS, MAX_OPERATOR_TOKEN_TTL_SECONDS, plans } from './contract.js';
import {
  deleteUser,
  ensureUsersSchema,
  findToken,
  findUser,
  insertToken,
  insertUser,
  listUsers,
  newToken,
  newUserId,
  setSubscription,
  tokenHash,
} from './store.js';

/**
 * The longest token a user may mint for themselves through the API (a token for another device):
 * a week, so a leaked token cannot be turned into a year-long one.
 */
export const MAX_USER_TOKEN_TTL_SECONDS = 7 * 86_400;

const planId = z.enum(plans.map((p) => p.id) as [string, ...string[]]);
const createUser = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a user name is 1-32 lowercase letters, digits, _ or -'),
  plan: planId.default('standard'),
  region: z
    .string()
    .transform((r) => r.trim().toUpperCase())
    .refine(isRegion, 'a region is a two-letter ISO 3166-1 country code like US or DE'),
  tokenTtlSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_OPERATOR_TOKEN_TTL_SECONDS)
    .default(DEFAULT_TOKEN_TTL_SECONDS),
});
const verify = z.strictObject({ token: z.string().min(1).max(200) });
const subscription = z.strictObject({
  plan: planId.optional(),
  status: z.enum(['active', 'cancelled']).optional(),
});

/**
 * The users and billing service: users with a plan and a subscription, and the API tokens the
 * gateway authenticates with. Billing is the operator's: creating, listing and deleting users and
 * changing a subscription are refused (403) to anyone but the operator's commands. A user (through
 * the gateway) may read their own user and mint a token for themselves, of at most a week.
 *
 *   POST   /v1/users {name, plan, region, tokenTtlSeconds?} → 201 {user, token, expiresAt}   operator
 *   GET    /v1/users                                         operator
 *   GET    /v1/users/:idOrName                               operator, or the user
 *   DELETE /v1/users/:idOrName → 204 (its tokens go with it)  operator
 *   POST   /v1/users/:idOrName/tokens {ttlSeconds?} → 201    operator (a year), or the user (a week)
 *   PUT    /v1/users/:idOrName/subscription {plan?, status?} operator
 *   GET    /v1/plans
 *   POST   /v1/tokens/verify {token} → {userId, name, region, plan, subscription, expiresAt} | 401
 */
export async function startUsersService(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureUsersSchema(db);
  const { tokenPepper } = ctx.secrets;
  const counts = { created: 0, deleted: 0, tokensIssued: 0, verified: 0, refused: 0 };

  const issue = async (userId: string, ttlSeconds: number) => {
    const token = newToken();
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await insertToken(db, tokenHash(token, tokenPepper), userId, expiresAt);
    counts.tokensIssued++;
    return { token, expiresAt: expiresAt.toISOString() };
  };
  const mustFind = async (idOrName: string) => {
    const user = await findUser(db, idOrName);
    if (!user) throw new HttpError(404, 'unknown-user', `no user ${idOrName}`);
    return user;
  };
  /** The operator may act on anyone; a user only on themselves. */
  const operatorOrSelf = async (req: ServiceRequest) => {
    const user = await findUser(db, req.params.id as string);
    if (req.caller !== OPERATOR && (req.userId === null || user?.id !== req.userId)) {
      throw new HttpError(403, 'forbidden', 'you may only act on your own user');
    }
    if (!user) throw new HttpError(404, 'unknown-user', `no user ${req.params.id}`);
    return user;
  };

  const router = new Router()
    .get('/v1/plans', () => ({ plans }))
    .get('/v1/users', async (req) => {
      requireOperator(req, 'listing users');
      return { users: await listUsers(db) };
    })
    .post('/v1/users', async (req) => {
      requireOperator(req, 'creating users');
      const body = validate(createUser, req.body);
      const id = newUserId();
      if (!(await insertUser(db, { id, name: body.name, region: body.region, planId: body.plan }))) {
        throw new HttpError(409, 'user-exists', `a user named ${body.name} already exists`);
      }
      counts.created++;
      ctx.log.info('user created', { user: id, name: body.name, plan: body.plan, region: body.region });
      return reply(201, { user: await mustFind(id), ...(await issue(id, body.tokenTtlSeconds)) });
    })
    .get('/v1/users/:id', (req) => operatorOrSelf(req))
    .delete('/v1/users/:id', async (req) => {
      requireOperator(req, 'deleting users');
      const user = await mustFind(req.params.id as string);
      await deleteUser(db, user.id);
      counts.deleted++;
      ctx.log.info('user deleted', { user: user.id, name: user.name });
      return reply(204);
    })
    .post('/v1/users/:id/tokens', async (req) => {
      const body = validate(createToken, req.body ?? {});
      const user = await operatorOrSelf(req);
      if (req.caller !== OPERATOR && body.ttlSeconds > MAX_USER_TOKEN_TTL_SECONDS) {
        throw new HttpError(
          400,
          'invalid-request',
          `ttlSeconds: a token you mint yourself lives at most ${MAX_USER_TOKEN_TTL_SECONDS} s (7 days)`,
          { maxTtlSeconds: MAX_USER_TOKEN_TTL_SECONDS },
        );
      }
      return reply(201, {
        user: { id: user.id, name: user.name },
        ...(await issue(user.id, body.ttlSeconds)),
      });
    })
    .put('/v1/users/:id/subscription', async (req) => {
      requireOperator(req, 'changing a subscription (billing)');
      const body = validate(subscription, req.body);
      const user = await mustFind(req.params.id as string);
      await setSubscription(db, user.id, { planId: body.plan, status: body.status });
      ctx.log.info('subscription changed', { user: user.id, plan: body.plan, status: body.status });
      return mustFind(user.id);
    })
    .post('/v1/tokens/verify', async (req) => {
      const { token } = validate(verify, req.body);
      const found = await findToken(db, tokenHash(token, tokenPepper));
      // a token of a user who is gone is no token at all: 401, never "try again later"
      const user = found ? await findUser(db, found.userId) : null;
      if (!found || !user) {
        counts.refused++;
        throw new HttpError(401, 'invalid-token', 'the token is not one this cluster issued');
      }
      if (found.expiresAt.getTime() <= Date.now()) {
        counts.refused++;
        throw new HttpError(401, 'expired-token', `the token expired at ${found.expiresAt.toISOString()}`, {
          expiredAt: found.expiresAt.toISOString(),
        });
      }
      counts.verified++;
      return {
        userId: user.id,
        name: user.name,
        region: user.region,
        plan: user.plan.id,
        subscription: user.subscription.status,
        expiresAt: found.expiresAt.toISOString(),
      };
    });

  return {
    router,
    async stop() {
      await db.end();
    },
    status: () => ({ ...counts }),
  };
}

function requireOperator(req: ServiceRequest, what: string): void {
  if (req.caller !== OPERATOR) {
    throw new HttpError(403, 'operator-only', `${what} is the operator's (\`flix users …\`), not a user's`);
  }
}
