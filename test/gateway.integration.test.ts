import { beforeAll, describe, expect, it } from 'vitest';
import { flix, waitFor } from './helpers/cli.js';
import { type Component, operatorHeaders, SHARED_CLUSTER, status } from './helpers/cluster.js';
import { type Answer, httpCall } from './helpers/http.js';

/**
 * The public entry point end to end: the CI cluster with low per-user rate limits, every request
 * through the ELB to a gateway of some zone and on to the services, as a client would make it.
 * The token checks need the users service (POST /v1/users, /v1/users/:id/tokens, /v1/tokens/verify),
 * which the test calls as the operator does: with the cluster's internal token.
 */
const name = SHARED_CLUSTER;
let elb = '';
let components: Component[] = [];

/** One request through the ELB (or to `base`), as a client makes it. */
function call(
  method: string,
  path: string,
  opts: { token?: string; body?: string | Buffer; headers?: Record<string, string>; base?: string } = {},
): Promise<Answer> {
  return httpCall(opts.base ?? elb, method, path, opts);
}

/** A new user through the users service (directly: sign-up is not a public route). */
async function newUser(role: string): Promise<{ id: string; token: string }> {
  const userName = `gwit-${role}-${process.pid}-${Date.now() % 100_000}`;
  const users = components.find((c) => c.name.startsWith('users-'));
  if (!users) throw new Error('the cluster runs no users service');
  const r = await call('POST', '/v1/users', {
    base: users.endpoint,
    body: JSON.stringify({ name: userName, plan: 'standard', region: 'us' }),
    headers: await operatorHeaders(),
  });
  expect(r.status, r.text).toBeLessThan(300);
  return { id: r.json.user.id, token: r.json.token };
}

describe('the ELB and the gateways', () => {
  beforeAll(async () => {
    components = await status();
    const e = components.find((c) => c.name.startsWith('elb'));
    if (!e) throw new Error('the cluster runs no elb');
    elb = e.endpoint;
  });

  it('answers /api/health from a gateway with a trace id, round robin across the zones', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await call('GET', '/api/health');
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ status: 'ok' });
      expect(r.headers['x-b3-traceid']).toMatch(/^[0-9a-f]{32}$/);
      expect(r.headers['x-flix-elb-zone']).toBe(r.json.zone);
      expect(r.headers['x-flix-gateway']).toBe(r.json.instance);
      seen.add(String(r.json.zone));
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
    const traced = await call('GET', '/api/health', {
      headers: { 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124', 'x-b3-spanid': 'a2fb4a1d1a96d312' },
    });
    expect(traced.headers['x-b3-traceid']).toBe('463ac35c9f6413ad48485a3953bb6124');
  });

  it('refuses /api without a token: 401 missing-token as JSON', async () => {
    const r = await call('GET', '/api/titles');
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json.error).toMatchObject({ status: 401, code: 'missing-token' });
  });

  it('refuses an oversized body with 400 body-too-large and a malformed one with 400 malformed-json', async () => {
    const big = await call('POST', '/api/play', { body: JSON.stringify({ pad: 'x'.repeat(20 * 1024) }) });
    expect(big.status).toBe(400);
    expect(big.json.error.code).toBe('body-too-large');
    const bad = await call('POST', '/api/play', { body: '{"title": ' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('malformed-json');
    const path = await call('GET', '/api/titles/%E0%A4%A');
    expect(path.status).toBe(400);
    expect(path.json.error.code).toBe('invalid-request');
  });

  it('never forwards /_admin, however it is spelled', async () => {
    for (const p of ['/_admin/filters', '/_ADMIN/filters', '//_admin/filters', '/%5Fadmin/filters']) {
      const r = await call('GET', p);
      expect(r.status, p).toBe(404);
      expect(r.json.error.code).toBe('not-found');
    }
    const r = await call('POST', '/_admin/filters/auth', { body: '{"enabled":false}' });
    expect(r.status).toBe(404);
  });

  it('switches a filter off and on for every gateway with `flix gateway filters`', async () => {
    const list = await flix(['gateway', 'filters', '--name', name, '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.json.gateways).toHaveLength(2);
    const names = list.json.gateways[0].filters.map((f: { name: string }) => f.name);
    expect(names).toEqual([
      'trace',
      'rate-limit-ip',
      'request-validation',
      'auth',
      'rate-limit-user',
      'routing',
      'canary-sharding',
      'static-response',
      'proxy',
      'diagnostics',
      'compression',
      'metrics',
    ]);

    const off = await flix(['gateway', 'filters', '--name', name, '--disable', 'diagnostics', '--json']);
    expect(off.exitCode, off.stderr).toBe(0);
    for (const g of off.json.gateways) {
      expect(g.filters.find((f: { name: string }) => f.name === 'diagnostics').enabled).toBe(false);
    }
    for (let i = 0; i < 4; i++) {
      const r = await call('GET', '/api/health');
      expect(r.status).toBe(200);
      expect(r.headers['x-flix-gateway']).toBeUndefined();
    }
    const on = await flix(['gateway', 'filters', '--name', name, '--enable', 'diagnostics', '--json']);
    expect(on.exitCode, on.stderr).toBe(0);
    expect((await call('GET', '/api/health')).headers['x-flix-gateway']).toMatch(/^gateway-/);

    const unknown = await flix(['gateway', 'filters', '--name', name, '--disable', 'nope', '--json']);
    expect(unknown.exitCode).toBe(15);
  });

  it('lists the breakers of the gateways with `flix status --breakers --json`', async () => {
    const r = await flix(['status', '--name', name, '--breakers', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const gateways = r.json.breakers.filter((b: { service: string }) => b.service === 'gateway');
    expect(gateways).toHaveLength(2);
    // every gateway has asked the catalog for its top 10 by now
    const deps = gateways.flatMap((g: { breakers: Array<{ name: string }> }) =>
      g.breakers.map((b) => b.name),
    );
    expect(deps).toContain('catalog');
    for (const g of gateways) {
      for (const b of g.breakers) {
        expect(b).toMatchObject({
          breaker: { state: expect.any(String) },
          window: expect.any(Object),
          counts: expect.any(Object),
        });
      }
    }
    const human = await flix(['status', '--name', name, '--breakers']);
    expect(human.stdout).toContain('DEPENDENCY');
  });

  it('shows targets with health and request counts in the ELB /status', async () => {
    const e = components.find((c) => c.name.startsWith('elb')) as { endpoint: string };
    const r = await call('GET', '/status', { base: e.endpoint, headers: await operatorHeaders() });
    const targets = r.json.status.targets as Array<{ id: string; healthy: boolean; requests: number }>;
    expect(targets.map((t) => t.id).sort()).toEqual(['gateway-a-1', 'gateway-b-1']);
    for (const t of targets) {
      expect(t.healthy).toBe(true);
      expect(t.requests).toBeGreaterThan(0);
    }
  });

  // --- these need the users service ---

  it('refuses a junk token with 401 invalid-token', async () => {
    const r = await call('GET', '/api/titles', { token: 'not-a-token' });
    expect(r.status, r.text).toBe(401);
    expect(r.json.error.code).toBe('invalid-token');
  });

  it('lets a valid token through, and refuses another user with 403 forbidden', async () => {
    const me = await newUser('viewer');
    const r = await call('GET', '/api/me', { token: me.token });
    expect(r.status, r.text).toBe(200);
    expect(JSON.stringify(r.json)).toContain(me.id);
    expect(r.headers['x-flix-upstream']).toMatch(/^users-/);
    expect(r.headers['server-timing']).toMatch(/upstream;dur=/);
    const own = await call('GET', `/api/users/${me.id}`, { token: me.token });
    expect(own.status, own.text).toBe(200);
    const other = await call('GET', '/api/users/someone-else', { token: me.token });
    expect(other.status).toBe(403);
    expect(other.json.error.code).toBe('forbidden');
  });

  it('refuses an expired token with 401 expired-token', async () => {
    const me = await newUser('expiring');
    const users = components.find((c) => c.name.startsWith('users-')) as { endpoint: string };
    const t = await call('POST', `/v1/users/${me.id}/tokens`, {
      base: users.endpoint,
      body: JSON.stringify({ ttlSeconds: 1 }),
      headers: await operatorHeaders(),
    });
    expect(t.status, t.text).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 2100));
    const r = await call('GET', '/api/me', { token: t.json.token });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('expired-token');
  });

  it('answers 503 no-instance when a route has no instance to go to', async () => {
    const me = await newUser('lonely');
    // every playback instance hangs: their leases lapse and discovery forgets them
    const playback = (await status()).filter((c) => c.name.startsWith('playback-'));
    for (const c of playback) process.kill(-c.pid, 'SIGSTOP');
    try {
      const r = await waitFor(
        'the gateway to find no playback instance',
        async () => {
          const a = await call('GET', '/api/bookmarks', { token: me.token });
          return a.json?.error?.code === 'no-instance' ? a : null;
        },
        30_000,
      );
      expect(r.status, r.text).toBe(503);
      expect(r.json.error).toMatchObject({ code: 'no-instance', service: 'playback' });
      expect(r.headers['retry-after']).toBe('1');
    } finally {
      for (const c of playback) process.kill(-c.pid, 'SIGCONT');
    }
    // resumed, they register again and the route works
    await waitFor(
      'playback to be back',
      async () => (await call('GET', '/api/bookmarks', { token: me.token })).status === 200,
      30_000,
    );
  });

  it('rate-limits a user with 429 rate-limited and Retry-After', async () => {
    const me = await newUser('hasty');
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => call('GET', '/api/me', { token: me.token })),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.json.error.code).toBe('rate-limited');
    expect(Number(limited[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(answers.some((a) => a.status === 200)).toBe(true);
  });

  it('serves the recommendations, or the static top 10 marked degraded', async () => {
    const me = await newUser('watcher');
    await waitFor(
      'a recommendations answer',
      async () => {
        const r = await call('GET', '/api/recommendations', {
          token: me.token,
          headers: { 'accept-encoding': 'gzip' },
        });
        expect(r.status, r.text).toBe(200);
        expect(Array.isArray(r.json.rows)).toBe(true);
        if (r.headers['x-flix-fallback']) {
          expect(r.json).toMatchObject({ degraded: true, rows: [{ name: 'Top 10' }] });
        }
        return r;
      },
      10_000,
    );
  });
});
