import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpJson } from '../../platform/http/client.js';
import { FilterChain } from '../gateway/chain.js';
import { staticResponseFilter } from '../gateway/filters/static.js';
import { validationFilter } from '../gateway/filters/validation.js';
import { GatewayHttp } from '../gateway/service.js';
import { createTwoTierBalancer } from './balancing.js';
import { HealthTracker } from './health.js';
import { ElbProxy } from './service.js';
import type { Target } from './targets.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A real gateway adapter answering /api/health, as zone `zone`. */
async function gateway(zone: string): Promise<number> {
  const chain = new FilterChain([
    validationFilter({ maxBodyBytes: 1024 }),
    staticResponseFilter({ zone, instance: `gateway-${zone}-1`, openApi: '{}' }),
  ]);
  const http = new GatewayHttp(chain, { instance: `gateway-${zone}-1`, zone, maxBodyBytes: 1024 });
  return listen((req, res) => void http.handle(req, res));
}

/** A port nobody listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const port = await listen(() => {});
  await new Promise((r) => servers.pop()?.close(r));
  return port;
}

async function elb(ports: Record<string, number>, healthy: string[], answerTimeoutMs?: number) {
  const targets = new Map<string, Target>(
    Object.entries(ports).map(([zone, port]) => [
      `gateway-${zone}-1`,
      { id: `gateway-${zone}-1`, zone, url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port },
    ]),
  );
  const balancer = createTwoTierBalancer(
    Object.keys(ports).map((zone) => ({ name: zone, instances: [`gateway-${zone}-1`] })),
  );
  const health = new HealthTracker([...targets.keys()], balancer);
  for (const id of healthy) health.record(id, true, Date.now());
  const signer = { headers: () => ({ 'x-flix-internal': 'the-elb-token' }) };
  const proxy = new ElbProxy(
    balancer,
    health,
    targets,
    new Agent({ keepAlive: true }),
    signer,
    answerTimeoutMs,
  );
  const port = await listen((req, res) => void proxy.handle(req, res));
  return { proxy, health, base: `http://127.0.0.1:${port}` };
}

describe('ElbProxy', () => {
  it("signs what it forwards with its own token and drops the cluster's headers a client sent", async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    const gw = await listen((req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const { base } = await elb({ a: gw }, ['gateway-a-1']);
    await httpJson(`${base}/api/me`, {
      headers: { 'x-flix-internal': 'forged', 'x-flix-user-id': 'u_admin', 'x-flix-canary': '1' },
    });
    expect(seen['x-flix-internal']).toBe('the-elb-token');
    expect(seen['x-flix-user-id']).toBeUndefined();
    // a client's own headers (the canary wish) still go through
    expect(seen['x-flix-canary']).toBe('1');
  });

  it('takes a gateway that accepts but never answers out at once and sends the GET to another zone', async () => {
    const silent = await listen(() => {
      // a hung gateway: the connection is accepted, nothing is ever written
    });
    const b = await gateway('b');
    const { base, health } = await elb({ a: silent, b }, ['gateway-a-1', 'gateway-b-1'], 200);
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await httpJson<{ zone: string }>(`${base}/api/health`));
    expect(answers.map((r) => [r.status, r.body.zone])).toEqual([
      [200, 'b'],
      [200, 'b'],
    ]);
    expect(health.snapshot('gateway-a-1')).toMatchObject({ healthy: false });
  });

  it('answers 504 when a request with a body meets a silent gateway (it cannot be sent twice)', async () => {
    const silent = await listen(() => {});
    const { base } = await elb({ a: silent }, ['gateway-a-1'], 200);
    const r = await httpJson<{ error: { code: string } }>(`${base}/api/play`, {
      method: 'POST',
      body: { title: 'x' },
    });
    expect(r.status).toBe(504);
    expect(r.body.error.code).toBe('gateway-timeout');
  });

  it('balances across zones, streams the answer and names the zone', async () => {
    const e = await elb({ a: await gateway('a'), b: await gateway('b') }, ['gateway-a-1', 'gateway-b-1']);
    const zones: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await httpJson<{ zone: string }>(`${e.base}/api/health`);
      expect(r.status).toBe(200);
      expect(r.headers['x-flix-elb-zone']).toBe(r.body.zone);
      zones.push(r.body.zone);
    }
    expect(zones).toEqual(['a', 'b', 'a', 'b']);
    expect(e.proxy.counts.get('gateway-a-1')).toMatchObject({ requests: 2, statuses: { '2xx': 2 } });
  });

  it('streams a request body through to the gateway', async () => {
    const e = await elb({ a: await gateway('a') }, ['gateway-a-1']);
    const r = await httpJson<{ error: { code: string } }>(`${e.base}/api/play`, {
      method: 'POST',
      body: { pad: 'x'.repeat(2000) },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('body-too-large');
  });

  it('retries a refused connection once in another zone and counts it against the target', async () => {
    const e = await elb({ a: await deadPort(), b: await gateway('b') }, ['gateway-a-1', 'gateway-b-1']);
    const r = await httpJson<{ zone: string }>(`${e.base}/api/health`);
    expect(r.status).toBe(200);
    expect(r.body.zone).toBe('b');
    expect(e.proxy.totals.retried).toBe(1);
    expect(e.proxy.counts.get('gateway-a-1')?.connectFailures).toBe(1);
    expect(e.health.snapshot('gateway-a-1')).toMatchObject({ consecutiveFailures: 1 });
  });

  it('answers 502 when the retry has nowhere to go, 503 when no gateway is healthy', async () => {
    const one = await elb({ a: await deadPort() }, ['gateway-a-1']);
    const failed = await httpJson<{ error: { code: string } }>(`${one.base}/api/health`);
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe('gateway-failed');
    const none = await elb({ a: await gateway('a') }, []);
    const r = await httpJson<{ error: { code: string } }>(`${none.base}/api/health`);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('no-healthy-gateway');
    expect(r.headers['retry-after']).toBe('1');
  });

  it('refuses /_admin with 404 and never forwards it', async () => {
    const e = await elb({ a: await gateway('a') }, ['gateway-a-1']);
    const r = await httpJson<{ error: { code: string } }>(`${e.base}/_admin/filters`);
    expect(r.status).toBe(404);
    expect(e.proxy.totals.refusedAdmin).toBe(1);
    expect(e.proxy.counts.get('gateway-a-1')?.requests).toBe(0);
  });
});
