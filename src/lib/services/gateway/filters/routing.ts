import { jsonError } from '../errors.js';
import type { Filter, GatewayUser, Route } from '../filter.js';

/** The public API's routes: path prefix → service (docs/control-plane.md). */
export const ROUTE_TABLE = [
  { name: 'health', match: 'exact', prefix: '/api/health', service: null },
  { name: 'openapi', match: 'exact', prefix: '/api/openapi.json', service: null },
  { name: 'me', match: 'exact', prefix: '/api/me', service: 'users' },
  { name: 'users', match: 'subtree', prefix: '/api/users', service: 'users' },
  { name: 'titles', match: 'subtree', prefix: '/api/titles', service: 'catalog' },
  { name: 'recommendations', match: 'exact', prefix: '/api/recommendations', service: 'recommendations' },
  { name: 'play', match: 'subtree', prefix: '/api/play', service: 'playback' },
  { name: 'bookmarks', match: 'exact', prefix: '/api/bookmarks', service: 'playback' },
  { name: 'search', match: 'exact', prefix: '/api/search', service: 'search' },
  { name: 'stats', match: 'subtree', prefix: '/api/stats', service: 'stats' },
  { name: 'votes', match: 'subtree', prefix: '/api/votes', service: 'stats' },
  { name: 'comments', match: 'subtree', prefix: '/api/comments', service: 'comments' },
  { name: 'history', match: 'exact', prefix: '/api/history', service: 'history' },
  { name: 'shares', match: 'subtree', prefix: '/api/shares', service: 'playback' },
  // tus: the body is a file's bytes, streamed through unread (and unbuffered)
  { name: 'uploads', match: 'subtree', prefix: '/api/uploads', service: 'uploads', stream: true },
] as const;

/** Whether requests to `path` carry a streamed body (an upload's bytes) rather than JSON. */
export function streamsBody(path: string): boolean {
  const entry = ROUTE_TABLE.find((e) => matches(path, e));
  return entry !== undefined && 'stream' in entry && entry.stream;
}

export type RouteName = (typeof ROUTE_TABLE)[number]['name'];

export type Resolution =
  | { kind: 'static'; name: 'health' | 'openapi' }
  | { kind: 'route'; route: Route & { name: RouteName } }
  | { kind: 'refuse'; status: 401 | 403 | 404; code: string; message: string };

function matches(path: string, entry: (typeof ROUTE_TABLE)[number]): boolean {
  if (path === entry.prefix) return true;
  return entry.match === 'subtree' && path.startsWith(`${entry.prefix}/`);
}

/**
 * Where a request goes: the service of the first matching prefix, at the same path with `/api`
 * replaced by `/v1` (and the query kept); `/api/me` is `/v1/users/<caller>`. Another user's
 * `/api/users/:id` is refused with 403 here, before any call.
 */
export function resolveRoute(
  path: string,
  search: string,
  user: GatewayUser | undefined,
  method = 'GET',
): Resolution {
  const entry = ROUTE_TABLE.find((e) => matches(path, e));
  if (!entry) return { kind: 'refuse', status: 404, code: 'no-route', message: `no route for ${path}` };
  if (entry.service === null) return { kind: 'static', name: entry.name as 'health' | 'openapi' };
  if (entry.name === 'me' || entry.name === 'users') {
    if (!user) return { kind: 'refuse', status: 401, code: 'missing-token', message: 'who is asking?' };
    if (entry.name === 'me') {
      return {
        kind: 'route',
        route: { name: 'me', service: 'users', path: `/v1/users/${encodeURIComponent(user.id)}${search}` },
      };
    }
    const raw = path.slice('/api/users/'.length).split('/')[0] ?? '';
    let id = raw;
    try {
      id = decodeURIComponent(raw);
    } catch {
      // request validation refuses it; compare as it is
    }
    if (raw === '' || id !== user.id) {
      return {
        kind: 'refuse',
        status: 403,
        code: 'forbidden',
        message: 'you may only read your own user',
      };
    }
    // a user reads themselves and mints tokens for themselves; billing (plan, subscription) and
    // everything else about users is the operator's
    const rest = path.slice(`/api/users/${raw}`.length);
    const allowed =
      (rest === '' && (method === 'GET' || method === 'HEAD')) || (rest === '/tokens' && method === 'POST');
    if (!allowed) {
      return {
        kind: 'refuse',
        status: 403,
        code: rest === '/subscription' ? 'billing-is-the-operators' : 'forbidden',
        message:
          rest === '/subscription'
            ? 'plans and subscriptions are changed by the operator, not through the API'
            : 'you may read your own user and mint tokens for yourself (POST /api/users/<id>/tokens)',
      };
    }
  }
  return {
    kind: 'route',
    route: { name: entry.name, service: entry.service, path: `/v1${path.slice('/api'.length)}${search}` },
  };
}

/** Inbound: chooses the route (or refuses: 404 `no-route`, 403 `forbidden`). */
export function routingFilter(): Filter {
  return {
    name: 'routing',
    type: 'inbound',
    order: 50,
    shouldFilter: () => true,
    apply(ctx) {
      const r = resolveRoute(ctx.path, ctx.search, ctx.user, ctx.method);
      if (r.kind === 'route') ctx.route = r.route;
      else if (r.kind === 'refuse') ctx.response = jsonError(r.status, r.code, r.message);
    },
  };
}
