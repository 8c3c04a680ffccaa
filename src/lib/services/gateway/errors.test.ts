import { describe, expect, it } from 'vitest';
import { type GatewayErrorStatus, jsonError } from './errors.js';

describe('jsonError', () => {
  it('builds a JSON error body with status, code, message and extra fields', () => {
    const r = jsonError(404, 'route_not_found', 'No route for /nope.', { path: '/nope' });
    expect(r.status).toBe(404);
    expect(r.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    expect(JSON.parse(r.body)).toEqual({
      error: { status: 404, code: 'route_not_found', message: 'No route for /nope.', path: '/nope' },
    });
  });

  it('does not let extra fields override status, code or message', () => {
    const r = jsonError(400, 'bad', 'Bad.', { status: 200, code: 'x' });
    expect(JSON.parse(r.body).error).toMatchObject({ status: 400, code: 'bad' });
  });

  it('sets Retry-After on a 429 (whole seconds, at least 1) and on a 503 when given', () => {
    expect(
      jsonError(429, 'rate_limited', 'Slow down.', { retryAfterSeconds: 2.2 }).headers['retry-after'],
    ).toBe('3');
    const bare = jsonError(429, 'rate_limited', 'Slow down.');
    expect(bare.headers['retry-after']).toBe('1');
    expect(JSON.parse(bare.body).error.retryAfterSeconds).toBe(1);
    expect(jsonError(503, 'busy', 'Busy.', { retryAfterSeconds: 5 }).headers['retry-after']).toBe('5');
    expect(jsonError(503, 'busy', 'Busy.').headers['retry-after']).toBeUndefined();
  });

  it('covers every gateway status and refuses others', () => {
    for (const s of [400, 401, 403, 404, 429, 451, 500, 503] as const) {
      expect(jsonError(s, 'c', 'm').status).toBe(s);
    }
    expect(() => jsonError(418 as GatewayErrorStatus, 'teapot', 'No.')).toThrow(RangeError);
  });
});
