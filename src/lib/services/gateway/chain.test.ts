import { describe, expect, it } from 'vitest';
import { flushPromises } from '../../../testing/fake-clock.js';
import { FilterChain, FilterChainError } from './chain.js';
import type { JsonErrorBody } from './errors.js';
import { createContext, type Filter, type FilterType, type RequestContext } from './filter.js';

function ctx(): RequestContext {
  return createContext({ method: 'get', path: '/catalog/titles', clientIp: '10.0.0.1' });
}

/** A filter that records its name in `log` when applied. */
function recorder(
  log: string[],
  name: string,
  type: FilterType,
  order: number,
  extra: Partial<Filter> = {},
): Filter {
  return {
    name,
    type,
    order,
    shouldFilter: () => true,
    apply: () => {
      log.push(name);
    },
    ...extra,
  };
}

function body(c: RequestContext): JsonErrorBody {
  return JSON.parse(c.response?.body ?? 'null') as JsonErrorBody;
}

function row(chain: FilterChain, name: string) {
  return chain.describe().find((r) => r.name === name);
}

describe('FilterChain', () => {
  it('runs inbound by order, then endpoint, then outbound, whatever the given order', async () => {
    const log: string[] = [];
    const chain = new FilterChain([
      recorder(log, 'decorate', 'outbound', 10),
      recorder(log, 'proxy', 'endpoint', 0),
      recorder(log, 'route', 'inbound', 30),
      recorder(log, 'auth', 'inbound', 10),
      recorder(log, 'cors', 'outbound', 5),
      recorder(log, 'limit', 'inbound', 20),
    ]);
    await chain.run(ctx());
    expect(log).toEqual(['auth', 'limit', 'route', 'proxy', 'cors', 'decorate']);
    expect(chain.describe().map((r) => r.name)).toEqual([
      'auth',
      'limit',
      'route',
      'proxy',
      'cors',
      'decorate',
    ]);
  });

  it('skips filters whose shouldFilter is false and counts them', async () => {
    const log: string[] = [];
    const chain = new FilterChain([
      recorder(log, 'only-post', 'inbound', 1, { shouldFilter: (c) => c.method === 'POST' }),
      recorder(log, 'proxy', 'endpoint', 0),
    ]);
    await chain.run(ctx());
    expect(log).toEqual(['proxy']);
    expect(row(chain, 'only-post')).toMatchObject({ runs: 0, skipped: 1 });
  });

  it('short-circuits inbound and endpoint once a response is set, but still runs outbound', async () => {
    const log: string[] = [];
    const chain = new FilterChain([
      recorder(log, 'deny', 'inbound', 1, {
        apply: (c) => {
          log.push('deny');
          c.response = { status: 403, headers: {}, body: '{}' };
        },
      }),
      recorder(log, 'route', 'inbound', 2),
      recorder(log, 'proxy', 'endpoint', 0),
      recorder(log, 'decorate', 'outbound', 0, {
        apply: (c) => {
          log.push('decorate');
          c.responseHeaders['x-flix-gateway'] = '1';
        },
      }),
    ]);
    const out = await chain.run(ctx());
    expect(log).toEqual(['deny', 'decorate']);
    expect(out.response?.status).toBe(403);
    expect(out.responseHeaders).toEqual({ 'x-flix-gateway': '1' });
    expect(row(chain, 'route')).toMatchObject({ runs: 0, skipped: 1 });
    expect(row(chain, 'proxy')).toMatchObject({ runs: 0, skipped: 1 });
  });

  it('has a kill switch per filter', async () => {
    const log: string[] = [];
    const chain = new FilterChain([
      recorder(log, 'auth', 'inbound', 1),
      recorder(log, 'proxy', 'endpoint', 0),
    ]);
    chain.disable('auth');
    await chain.run(ctx());
    expect(log).toEqual(['proxy']);
    expect(row(chain, 'auth')).toMatchObject({ enabled: false, runs: 0, skipped: 1 });

    chain.enable('auth');
    await chain.run(ctx());
    expect(log).toEqual(['proxy', 'auth', 'proxy']);
    expect(chain.isEnabled('auth')).toBe(true);
    expect(() => chain.disable('nope')).toThrow('no filter named nope; known: auth, proxy');
  });

  it('rejects with a 503 when a filter is at its concurrency limit, then recovers', async () => {
    const release: (() => void)[] = [];
    const chain = new FilterChain([
      {
        name: 'slow',
        type: 'endpoint',
        order: 0,
        maxConcurrency: 2,
        shouldFilter: () => true,
        apply: () => new Promise<void>((resolve) => release.push(resolve)),
      },
    ]);
    const a = chain.run(ctx());
    const b = chain.run(ctx());
    await flushPromises();
    const rejected = await chain.run(ctx());
    expect(rejected.response?.status).toBe(503);
    expect(body(rejected).error).toMatchObject({ code: 'filter_concurrency_exceeded', filter: 'slow' });
    expect(row(chain, 'slow')).toMatchObject({ inFlight: 2, runs: 2, rejections: 1 });

    for (const r of release) r();
    expect((await a).response).toBeUndefined();
    await b;
    const again = chain.run(ctx());
    await flushPromises();
    expect(row(chain, 'slow')).toMatchObject({ inFlight: 1, runs: 3, rejections: 1 });
    release[2]?.();
    expect((await again).response).toBeUndefined();
  });

  it('turns a throwing filter into a 500, counts it, reports it and still runs outbound', async () => {
    const log: string[] = [];
    const reported: [string, unknown][] = [];
    const chain = new FilterChain(
      [
        recorder(log, 'boom', 'inbound', 1, {
          apply: async () => {
            throw new Error('db down');
          },
        }),
        recorder(log, 'proxy', 'endpoint', 0),
        recorder(log, 'decorate', 'outbound', 0),
      ],
      { onFilterError: (name, error) => reported.push([name, error]) },
    );
    const out = await chain.run(ctx());
    expect(out.response?.status).toBe(500);
    expect(out.response?.headers['content-type']).toMatch(/^application\/json/);
    expect(body(out).error).toEqual({
      status: 500,
      code: 'filter_failed',
      message: 'The gateway failed to handle the request.',
      filter: 'boom',
    });
    expect(out.response?.body).not.toContain('db down');
    expect(log).toEqual(['decorate']);
    expect(reported).toEqual([['boom', new Error('db down')]]);
    expect(row(chain, 'boom')).toMatchObject({ runs: 1, errors: 1, rejections: 0 });
  });

  it('treats a throwing shouldFilter or error hook like a failed filter', async () => {
    const chain = new FilterChain(
      [
        {
          name: 'bad-predicate',
          type: 'outbound',
          order: 0,
          shouldFilter: () => {
            throw new Error('oops');
          },
          apply: () => {},
        },
      ],
      {
        onFilterError: () => {
          throw new Error('hook broke');
        },
      },
    );
    const out = await chain.run(ctx());
    expect(out.response?.status).toBe(500);
    expect(row(chain, 'bad-predicate')).toMatchObject({ runs: 0, errors: 1 });
  });

  it('describes every filter for `flix gateway filters`', () => {
    const chain = new FilterChain([recorder([], 'auth', 'inbound', 10)]);
    expect(chain.describe()).toEqual([
      {
        name: 'auth',
        type: 'inbound',
        order: 10,
        enabled: true,
        maxConcurrency: 4000,
        inFlight: 0,
        runs: 0,
        errors: 0,
        rejections: 0,
        skipped: 0,
      },
    ]);
  });

  it('refuses unknown types, duplicate names and bad settings at construction', () => {
    const ok = recorder([], 'auth', 'inbound', 1);
    expect(() => new FilterChain([{ ...ok, type: 'pre' as FilterType }])).toThrow(
      new FilterChainError('filter auth has unknown type "pre"; expected one of inbound, endpoint, outbound'),
    );
    expect(() => new FilterChain([ok, { ...ok, type: 'outbound' }])).toThrow('duplicate filter name: auth');
    expect(() => new FilterChain([{ ...ok, name: '' }])).toThrow('every filter needs a non-empty name');
    expect(() => new FilterChain([{ ...ok, order: Number.NaN }])).toThrow('filter auth needs a finite order');
    expect(() => new FilterChain([{ ...ok, maxConcurrency: 0 }])).toThrow(
      'filter auth maxConcurrency must be an integer ≥ 1, not 0',
    );
    expect(() => new FilterChain([], { defaultMaxConcurrency: 1.5 })).toThrow(FilterChainError);
  });
});

describe('createContext', () => {
  it('lower-cases header names and joins repeated headers', () => {
    const c = createContext({
      method: 'post',
      path: '/x',
      clientIp: '::1',
      headers: { 'X-B3-TraceId': 'abc', Accept: ['a', 'b'], accept: 'c', Missing: undefined },
    });
    expect(c.method).toBe('POST');
    expect(c.headers).toEqual({ 'x-b3-traceid': 'abc', accept: 'a, b, c' });
    expect(c.bodySize).toBe(0);
  });
});
