import { z } from 'zod';
import { clusterSecrets } from '../../cluster/secrets.js';
import { mysqlPool } from '../../engines/mysql/client.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router, reply, validate } from '../../platform/http/router.js';
import { plans } from './contract.js';
import {
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

const DEFAULT_TOKEN_TTL_SECONDS = 30 * 86_400;

const createUser = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a user name is 1-32 lowercase letters, digits, _ or -'),
  plan: z.enum(plans.map((p) => p.id) as [string, ...string[]]).default('standard'),
  region: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'a region is a two-letter country code like US or DE')
    .transform((r) => r.toUpperCase()),
  tokenTtlSeconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 86_400)
    .default(DEFAULT_TOKEN_TTL_SECONDS),
});
const createToken = z.strictObject({
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 86_400)
    .default(DEFAULT_TOKEN_TTL_SECONDS),
});
const verify = z.strictObject({ token: z.string().min(1).max(200) });
const subscription = z.strictObject({
  plan: z.enum(plans.map((p) => p.id) as [string, ...string[]]).optional(),
  status: z.enum(['active', 'cancelled']).optional(),
});

/**
 * The users and billing service: users with a plan and a subscription, and the API tokens the
 * gateway authenticates with.
 *
 *   POST /v1/users {name, plan, region, tokenTtlSeconds?} → 201 {user, token, expiresAt}
 *   GET  /v1/users · GET /v1/users/:idOrName · GET /v1/plans
 *   POST /v1/users/:idOrName/tokens {ttlSeconds?} → 201 {token, expiresAt}
 *   PUT  /v1/users/:idOrName/subscription {plan?, status?}
 *   POST /v1/tokens/verify {token} → {userId, name, region, plan, expiresAt} | 401
 */
export async function startUsersService(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureUsersSchema(db);
  const { tokenPepper } = await clusterSecrets(ctx.cluster);
  const counts = { created: 0, tokensIssued: 0, verified: 0, refused: 0 };

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

  const router = new Router()
    .get('/v1/plans', () => ({ plans }))
    .get('/v1/users', async () => ({ users: await listUsers(db) }))
    .post('/v1/users', async (req) => {
      const body = validate(createUser, req.body);
      const id = newUserId();
      if (!(await insertUser(db, { id, name: body.name, region: body.region, planId: body.plan }))) {
        throw new HttpError(409, 'user-exists', `a user named ${body.name} already exists`);
      }
      counts.created++;
      ctx.log('user created', { user: id, name: body.name, plan: body.plan, region: body.region });
      return reply(201, { user: await mustFind(id), ...(await issue(id, body.tokenTtlSeconds)) });
    })
    .get('/v1/users/:id', async (req) => mustFind(req.params.id as string))
    .post('/v1/users/:id/tokens', async (req) => {
      const body = validate(createToken, req.body ?? {});
      const user = await mustFind(req.params.id as string);
      return reply(201, {
        user: { id: user.id, name: user.name },
        ...(await issue(user.id, body.ttlSeconds)),
      });
    })
    .put('/v1/users/:id/subscription', async (req) => {
      const body = validate(subscription, req.body);
      const user = await mustFind(req.params.id as string);
      await setSubscription(db, user.id, { planId: body.plan, status: body.status });
      return mustFind(user.id);
    })
    .post('/v1/tokens/verify', async (req) => {
      const { token } = validate(verify, req.body);
      const found = await findToken(db, tokenHash(token, tokenPepper));
      if (!found) {
        counts.refused++;
        throw new HttpError(401, 'invalid-token', 'the token is not one this cluster issued');
      }
      if (found.expiresAt.getTime() <= Date.now()) {
        counts.refused++;
        throw new HttpError(401, 'expired-token', `the token expired at ${found.expiresAt.toISOString()}`, {
          expiredAt: found.expiresAt.toISOString(),
        });
      }
      const user = await mustFind(found.userId);
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
