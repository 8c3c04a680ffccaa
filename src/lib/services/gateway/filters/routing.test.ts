import { describe, expect, it } from 'vitest';
import { createContext } from '../filter.js';
import { resolveRoute, routingFilter } from './routing.js';

const me = { id: 'u1', region: 'us' };
const route = (path: string, search = '') => {
  const r = resolveRoute(path, search, me);
  return r.kind === 'route' ? { service: r.route.service, path: r.route.path, name: r.route.name } : r;
};

describe('resolveRoute', () => {
  it('maps every public route to its service at /v1, keeping the query', () => {
    expect(route('/api/titles', '?limit=5')).toEqual({
      service: 'catalog',
      path: '/v1/titles?limit=5',
      name: 'titles',
    });
    expect(route('/api/titles/Big%20Trip')).toEqual({
      service: 'catalog',
      path: '/v1/titles/Big%20Trip',
      name: 'titles',
    });
    expect(route('/api/recommendations')).toMatchObject({
      service: 'recommendations',
      path: '/v1/recommendations',
    });
    expect(route('/api/play')).toMatchObject({ service: 'playback', path: '/v1/play' });
    expect(route('/api/play/p_1/heartbeat')).toMatchObject({
      service: 'playback',
      path: '/v1/play/p_1/heartbeat',
    });
    expect(route('/api/bookmarks')).toMatchObject({ service: 'playback', path: '/v1/bookmarks' });
  });

  it('sends /api/me to the caller and lets /api/users/:id through only for the caller', () => {
    expect(route('/api/me')).toEqual({ service: 'users', path: '/v1/users/u1', name: 'me' });
    expect(route('/api/users/u1')).toEqual({ service: 'users', path: '/v1/users/u1', name: 'users' });
    expect(route('/api/users/u2')).toMatchObject({ kind: 'refuse', status: 403, code: 'forbidden' });
    expect(route('/api/users/u2/tokens')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(route('/api/users')).toMatchObject({ kind: 'refuse', status: 403 });
    expect(resolveRoute('/api/me', '', undefined)).toMatchObject({ kind: 'refuse', status: 401 });
  });

  it('leaves billing to the operator: a user may read themselves and mint tokens, nothing more', () => {
    const as = (method: string, path: string) => resolveRoute(path, '', me, method);
    expect(as('POST', '/api/users/u1/tokens')).toMatchObject({
      kind: 'route',
      route: { path: '/v1/users/u1/tokens' },
    });
    expect(as('PUT', '/api/users/u1/subscription')).toMatchObject({
      kind: 'refuse',
      status: 403,
      code: 'billing-is-the-operators',
    });
    for (const [method, path] of [
      ['DELETE', '/api/users/u1'],
      ['PUT', '/api/users/u1'],
      ['POST', '/api/users/u1'],
      ['GET', '/api/users/u1/tokens'],
      ['GET', '/api/users/u1/anything'],
    ] as const) {
      expect(as(method, path), `${method} ${path}`).toMatchObject({ kind: 'refuse', status: 403 });
    }
  });

  it('matches whole segments only and answers 404 no-route for the rest', () => {
    expect(route('/api/titlesx')).toMatchObject({ kind: 'refuse', status: 404, code: 'no-route' });
    expect(route('/api/bookmarks/1')).toMatchObject({ kind: 'refuse', status: 404 });
    expect(route('/')).toMatchObject({ kind: 'refuse', status: 404 });
    expect(route('/api/health')).toEqual({ kind: 'static', name: 'health' });
  });

  it('sets the route, or the refusal, on the context', () => {
    const f = routingFilter();
    const ok = createContext({ method: 'GET', path: '/api/titles', search: '?q=1', clientIp: 'x' });
    ok.user = me;
    f.apply(ok);
    expect(ok.route).toMatchObject({ service: 'catalog', path: '/v1/titles?q=1' });
    const no = createContext({ method: 'GET', path: '/nope', clientIp: 'x' });
    f.apply(no);
    expect(no.response?.status).toBe(404);
  });
});
