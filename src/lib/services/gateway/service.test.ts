import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { httpJson as callJson, type HttpCall, httpJson } from '../../platform/http/client.js';
import { setCaller } from '../../platform/http/router.js';
import { INTERNAL_HEADER, InternalSigner, InternalVerifier, OPERATOR } from '../../platform/internal-auth.js';
import { FilterChain } from './chain.js';
import { compressionFilter } from './filters/compression.js';
import { diagnosticsFilter } from './filters/diagnostics.js';
import { routingFilter } from './filters/routing.js';
import { staticResponseFilter } from './filters/static.js';
import { traceFilter } from './filters/trace.js';
import { validationFilter } from './filters/validation.js';
import { clientAddress, GatewayHttp, gatewaySettings } from './service.js';

describe('gatewaySettings', () => {
  it('reads the cluster file settings and defaults what is missing', () => {
    expect(gatewaySettings({ maxBodyBytes: 1024, rateLimit: { perUser: { rps: 5, burst: 10 } } })).toEqual({
      canaryPercent: 0,
      maxBodyBytes: 1024,
      rateLimit: { perUser: { rps: 5, burst: 10 }, perIp: { rps: 500, burst: 1000 } },
    });
  });
});

describe('clientAddress', () => {
  it('trusts the hop the ELB appended when the peer is on loopback', () => {
    expect(clientAddress('127.0.0.1', '10.0.0.9')).toBe('10.0.0.9');
    expect(clientAddress('::ffff:127.0.0.1', 'spoofed, 10.0.0.9')).toBe('10.0.0.9');
    expect(clientAddress('10.1.1.1', '1.2.3.4')).toBe('10.1.1.1');
    expect(clientAddress('127.0.0.1', undefined)).toBe('127.0.0.1');
    expect(clientAddress(undefined, undefined)).toBe('unknown');
  });
});

const KEY = 'the cluster internal key for tests';

describe('GatewayHttp', () => {
  /** The real adapter and a chain of real filters (no upstream ones), on a loopback port. */
  async function serve() {
    const chain = new FilterChain([
      traceFilter(),
      validationFilter({ maxBodyBytes: 256 }),
      routingFilter(),
      staticResponseFilter({ zone: 'a', instance: 'gateway-a-1', openApi: '{}' }),
      diagnosticsFilter({ instance: 'gateway-a-1' }),
      compressionFilter(),
    ]);
    const http = new GatewayHttp(chain, { instance: 'gateway-a-1', zone: 'a', maxBodyBytes: 256 });
    // as the service host does: the caller named by a valid internal token
    const verifier = new InternalVerifier(KEY);
    const server = createServer((req, res) => {
      const caller = verifier.verify(req.headers[INTERNAL_HEADER]);
      if (caller) setCaller(req, caller);
      void http.handle(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return { chain, base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
  }

  it('runs the chain and sends the response with the outbound headers', async () => {
    const s = await serve();
    try {
      const r = await httpJson<{ status: string; zone: string }>(`${s.base}/api/health`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ok', zone: 'a', instance: 'gateway-a-1' });
      expect(r.headers['x-b3-traceid']).toMatch(/^[0-9a-f]{32}$/);
      expect(r.headers['x-flix-gateway']).toBe('gateway-a-1');
      expect(r.headers['server-timing']).toMatch(/^gateway;dur=/);
      const none = await httpJson<{ error: { code: string } }>(`${s.base}/nowhere`);
      expect(none.status).toBe(404);
      expect(none.body.error.code).toBe('no-route');
    } finally {
      await s.close();
    }
  });

  it('refuses an oversized body without keeping it, and a malformed one', async () => {
    const s = await serve();
    try {
      const big = await httpJson<{ error: { code: string } }>(`${s.base}/api/play`, {
        method: 'POST',
        body: { pad: 'x'.repeat(1000) },
      });
      expect(big.status).toBe(400);
      expect(big.body.error.code).toBe('body-too-large');
      const bad = await new Promise<number>((resolve, reject) => {
        const req = request(`${s.base}/api/play`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{"title": ');
      });
      expect(bad).toBe(400);
    } finally {
      await s.close();
    }
  });

  it('lists the filters and flips a kill switch on /_admin/filters for the operator', async () => {
    const s = await serve();
    const headers = new InternalSigner(KEY, OPERATOR).headers();
    const httpJson = <T>(url: string, call: HttpCall = {}) =>
      callJson<T>(url, { ...call, headers: { ...call.headers, ...headers } });
    try {
      const list = await httpJson<{ filters: Array<{ name: string }> }>(`${s.base}/_admin/filters`);
      expect(list.body.filters.map((f) => f.name)).toContain('diagnostics');
      const off = await httpJson<{ filter: { enabled: boolean } }>(`${s.base}/_admin/filters/diagnostics`, {
        method: 'POST',
        body: { enabled: false },
      });
      expect(off.body.filter.enabled).toBe(false);
      expect((await httpJson(`${s.base}/api/health`)).headers['x-flix-gateway']).toBeUndefined();
      const unknown = await httpJson<{ error: { code: string } }>(`${s.base}/_admin/filters/nope`, {
        method: 'POST',
        body: { enabled: false },
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('unknown-filter');
      const bad = await httpJson(`${s.base}/_admin/filters/trace`, { method: 'POST', body: { on: 1 } });
      expect(bad.status).toBe(400);
      expect(s.chain.isEnabled('trace')).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('refuses the filters to anyone but the operator', async () => {
    const s = await serve();
    try {
      const stranger = await callJson<{ error: { code: string } }>(`${s.base}/_admin/filters`);
      expect(stranger.status).toBe(403);
      const gateway = await callJson<{ error: { code: string } }>(`${s.base}/_admin/filters/trace`, {
        method: 'POST',
        body: { enabled: false },
        headers: new InternalSigner(KEY, 'gateway-b-1').headers(),
      });
      expect([gateway.status, gateway.body.error.code]).toEqual([403, 'operator-only']);
      expect(s.chain.isEnabled('trace')).toBe(true);
    } finally {
      await s.close();
    }
  });
});
