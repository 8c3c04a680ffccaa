import { readErrorBody } from '../../../platform/http/error-body.js';
import { jsonError } from '../errors.js';
import type { Filter, GatewayUser, RequestContext } from '../filter.js';
import { bearerToken, expiryMs, type TokenCache } from './token-cache.js';

/** What the users service said about a token. */
export type Verdict =
  | { kind: 'valid'; user: GatewayUser; expiresAt: number }
  | { kind: 'invalid'; code: 'invalid-token' | 'expired-token' }
  | { kind: 'unavailable'; code: 'no-instance' | 'circuit-open' | 'upstream-failed'; message: string };

/** Asks the users service (`POST /v1/tokens/verify`). */
export type VerifyToken = (token: string, ctx: RequestContext) => Promise<Verdict>;

/** Turns the users service's answer to `POST /v1/tokens/verify` into a verdict. */
export function verdictOf(status: number, body: unknown): Verdict {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (status === 200) {
    const expiresAt = expiryMs(b.expiresAt);
    if (typeof b.userId !== 'string' || b.userId === '' || expiresAt === null) {
      return {
        kind: 'unavailable',
        code: 'upstream-failed',
        message: 'the users service answered a token check without userId or expiresAt',
      };
    }
    const user: GatewayUser = { id: b.userId };
    if (typeof b.region === 'string') user.region = b.region;
    if (typeof b.plan === 'string') user.plan = b.plan;
    if (typeof b.subscription === 'string') user.subscription = b.subscription;
    return { kind: 'valid', user, expiresAt };
  }
  // 404: the token's user is gone — the token is no good (a 503 would have clients retry forever)
  if (status === 401 || status === 400 || status === 403 || status === 404) {
    const code = readErrorBody(body)?.code;
    return { kind: 'invalid', code: code === 'expired-token' ? 'expired-token' : 'invalid-token' };
  }
  return {
    kind: 'unavailable',
    code: 'upstream-failed',
    message: `the users service answered ${status} to a token check`,
  };
}

/** Paths that need a token: everything under /api except /api/health and the API's description. */
export function needsToken(path: string): boolean {
  return (
    (path === '/api' || path.startsWith('/api/')) && path !== '/api/health' && path !== '/api/openapi.json'
  );
}

const MESSAGES = {
  'missing-token': 'send Authorization: Bearer <token>',
  'invalid-token': 'the token is not valid',
  'expired-token': 'the token has expired; get a new one',
} as const;

function refuse(ctx: RequestContext, code: keyof typeof MESSAGES): void {
  ctx.response = jsonError(401, code, MESSAGES[code]);
  ctx.response.headers['www-authenticate'] =
    code === 'missing-token' ? 'Bearer' : `Bearer error="invalid_token"`;
}

/**
 * Inbound: authenticates the bearer token. A token verified in the last 30 s (and not expired)
 * is served from the cache with no call; an expired cached token is refused with no call; else
 * the users service decides, and concurrent checks of one token share one call. The users
 * service being down is a 503, not a 401: the token may well be good.
 */
export function authFilter(options: { cache: TokenCache; verify: VerifyToken; now?: () => number }): Filter {
  const { cache, verify } = options;
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, Promise<Verdict>>();
  return {
    name: 'auth',
    type: 'inbound',
    order: 30,
    shouldFilter: (ctx) => needsToken(ctx.path),
    async apply(ctx) {
      const token = bearerToken(ctx.headers.authorization);
      if (token === null) return refuse(ctx, 'missing-token');
      if (token === '') return refuse(ctx, 'invalid-token');
      const cached = cache.get(token, now());
      if (cached.kind === 'hit') {
        ctx.user = cached.user;
        return;
      }
      if (cached.kind === 'expired') return refuse(ctx, 'expired-token');
      let pending = inFlight.get(token);
      if (!pending) {
        pending = verify(token, ctx).finally(() => inFlight.delete(token));
        inFlight.set(token, pending);
      }
      const verdict = await pending;
      if (verdict.kind === 'valid') {
        const t = now();
        if (verdict.expiresAt <= t) {
          cache.setExpired(token, t);
          return refuse(ctx, 'expired-token');
        }
        cache.set(token, verdict.user, verdict.expiresAt, t);
        ctx.user = verdict.user;
      } else if (verdict.kind === 'invalid') {
        if (verdict.code === 'expired-token') cache.setExpired(token, now());
        refuse(ctx, verdict.code);
      } else {
        ctx.response = jsonError(503, verdict.code, `cannot check the token now: ${verdict.message}`, {
          dependency: 'users',
          retryAfterSeconds: 1,
        });
      }
    },
  };
}
