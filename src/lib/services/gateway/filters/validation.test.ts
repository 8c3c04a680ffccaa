import { describe, expect, it } from 'vitest';
import { createContext } from '../filter.js';
import { declaresJson, pathProblem, validationFilter } from './validation.js';

function ctx(init: { path?: string; body?: string; type?: string; bodySize?: number }) {
  return createContext({
    method: 'POST',
    path: init.path ?? '/api/play',
    clientIp: '127.0.0.1',
    headers: init.type ? { 'content-type': init.type } : {},
    body: init.body === undefined ? undefined : Buffer.from(init.body),
    bodySize: init.bodySize,
  });
}

const code = (c: ReturnType<typeof ctx>) => JSON.parse(c.response?.body ?? '{}').error?.code;

describe('pathProblem', () => {
  it('accepts ordinary ids, names and encoded spaces', () => {
    expect(pathProblem('/api/titles/Big%20Trip')).toBeNull();
    expect(pathProblem('/api/users/u_123')).toBeNull();
    expect(pathProblem('/api/play/p_1/heartbeat')).toBeNull();
  });

  it('refuses bad encoding, dot segments, encoded slashes, control characters and long segments', () => {
    expect(pathProblem('/api/titles/%E0%A4%A')).toMatch(/percent-encoding/);
    expect(pathProblem('/api/titles/..')).toMatch(/"\."/);
    expect(pathProblem('/api/titles/%2E%2E')).toMatch(/"\."/);
    expect(pathProblem('/api/titles/a%2Fb')).toMatch(/slash/);
    expect(pathProblem('/api/titles/a%00b')).toMatch(/control/);
    expect(pathProblem(`/api/titles/${'x'.repeat(201)}`)).toMatch(/longer than 200/);
    expect(pathProblem(`/${'a/'.repeat(17)}`)).toMatch(/more than 16/);
  });
});

describe('declaresJson', () => {
  it('reads the media type, ignoring parameters and case', () => {
    expect(declaresJson('application/json; charset=utf-8')).toBe(true);
    expect(declaresJson('Application/JSON')).toBe(true);
    expect(declaresJson('application/problem+json')).toBe(true);
    expect(declaresJson('text/plain')).toBe(false);
    expect(declaresJson(undefined)).toBe(false);
  });
});

describe('validationFilter', () => {
  const filter = validationFilter({ maxBodyBytes: 100 });

  it('parses a declared JSON body for the proxy', () => {
    const c = ctx({ body: '{"title":"Big Trip"}', type: 'application/json' });
    filter.apply(c);
    expect(c.response).toBeUndefined();
    expect(c.json).toEqual({ title: 'Big Trip' });
  });

  it('refuses a body over the limit with 400 body-too-large, by declared or read size', () => {
    const c = ctx({ bodySize: 101, type: 'application/json' });
    filter.apply(c);
    expect(c.response?.status).toBe(400);
    expect(code(c)).toBe('body-too-large');
  });

  it('refuses declared JSON that does not parse with 400 malformed-json', () => {
    const c = ctx({ body: '{"title": ', type: 'application/json' });
    filter.apply(c);
    expect(c.response?.status).toBe(400);
    expect(code(c)).toBe('malformed-json');
  });

  it('refuses a body that is not JSON and a bad path parameter with 400 invalid-request', () => {
    const text = ctx({ body: 'title=x', type: 'application/x-www-form-urlencoded' });
    filter.apply(text);
    expect(code(text)).toBe('invalid-request');
    const path = ctx({ path: '/api/titles/%ZZ' });
    filter.apply(path);
    expect(code(path)).toBe('invalid-request');
  });

  it('lets a request without a body through', () => {
    const c = ctx({});
    filter.apply(c);
    expect(c.response).toBeUndefined();
    expect(c.json).toBeUndefined();
  });
});
