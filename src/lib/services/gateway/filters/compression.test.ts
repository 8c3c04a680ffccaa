import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createContext, type RequestContext } from '../filter.js';
import { acceptsGzip, compressionFilter, shouldCompress } from './compression.js';

function answered(body: string, acceptEncoding?: string, method = 'GET'): RequestContext {
  const c = createContext({
    method,
    path: '/api/titles',
    clientIp: 'x',
    headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
  });
  c.response = { status: 200, headers: { 'content-type': 'application/json' }, body };
  return c;
}

describe('acceptsGzip', () => {
  it('reads accept-encoding with q values', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('br')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('compression', () => {
  const big = JSON.stringify({ titles: 'x'.repeat(2000) });

  it('gzips a body over 1 KiB for a client that accepts gzip', () => {
    const c = answered(big, 'gzip');
    expect(shouldCompress(c)).toBe(true);
    compressionFilter().apply(c);
    expect(c.responseHeaders['content-encoding']).toBe('gzip');
    expect(c.responseHeaders.vary).toBe('accept-encoding');
    expect(gunzipSync(c.encodedBody as Buffer).toString()).toBe(big);
    expect((c.encodedBody as Buffer).length).toBeLessThan(big.length);
  });

  it('leaves small bodies, HEAD, 204 and clients without gzip alone', () => {
    expect(shouldCompress(answered('{"a":1}', 'gzip'))).toBe(false);
    expect(shouldCompress(answered(big))).toBe(false);
    expect(shouldCompress(answered(big, 'gzip', 'HEAD'))).toBe(false);
    const empty = answered(big, 'gzip');
    (empty.response as { status: number }).status = 204;
    expect(shouldCompress(empty)).toBe(false);
  });
});
