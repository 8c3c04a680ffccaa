/**
 * The fetcher against real HTTP servers on loopback (node:http) and a real closed port: each
 * failure an edge can show (refused connection, 5xx, no answer, a body cut off) moves the object to
 * the next edge; a 4xx does not.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, FlixError } from '../../core/errors.js';
import { EdgeFetcher, type FailoverEvent } from './fetcher.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: RequestListener): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const good = () =>
  serve((req, res) => {
    res.writeHead(200, { 'x-cache-status': req.url?.endsWith('.m4s') ? 'HIT' : 'MISS' });
    res.end(req.url?.endsWith('.m3u8') ? '#EXTM3U\n' : Buffer.alloc(1000));
  });

const edges = (...urls: string[]) =>
  urls.map((u, i) => ({ name: `edge-${'abc'[i]}`, url: `${u}/v/1/tok/titles/t/master.m3u8` }));

describe('EdgeFetcher', () => {
  it('resolves URIs against the edge manifest URL, reads text, counts bytes and cache hits', async () => {
    const a = await good();
    const f = new EdgeFetcher(edges(a.url));
    const manifest = await f.get('', { text: true });
    expect(manifest).toMatchObject({
      edge: 'edge-a',
      status: 200,
      bytes: 8,
      text: '#EXTM3U\n',
      cacheStatus: 'MISS',
    });
    const seg = await f.get('seg-0-00001.m4s');
    expect(seg.bytes).toBe(1000);
    expect(seg.text).toBeUndefined();
    expect(seg.firstByteAtMs).toBeGreaterThanOrEqual(seg.sentAtMs);
    expect(seg.doneAtMs).toBeGreaterThanOrEqual(seg.firstByteAtMs);
    expect(a.hits).toEqual(['/v/1/tok/titles/t/master.m3u8', '/v/1/tok/titles/t/seg-0-00001.m4s']);
    expect(f.cache).toEqual({ hits: 1, answers: 2 });
    expect(f.served.get('edge-a')).toEqual({ objects: 2, bytes: 1008 });
  });

  it('a refused connection: the next edge serves, and playback sticks with it', async () => {
    const b = await good();
    const events: FailoverEvent[] = [];
    const f = new EdgeFetcher(edges(`http://127.0.0.1:${await closedPort()}`, b.url), {
      onFailover: (e) => events.push(e),
    });
    expect((await f.get('seg-1.m4s')).edge).toBe('edge-b');
    expect(events).toEqual([
      { uri: 'seg-1.m4s', from: 'edge-a', to: 'edge-b', reason: expect.stringMatching(/ECONNREFUSED/) },
    ]);
    expect(f.edge.name).toBe('edge-b');
    expect((await f.get('seg-2.m4s')).edge).toBe('edge-b');
    expect(f.failovers).toHaveLength(1);
  });

  it('objects fetched side by side that fail together switch the edge once', async () => {
    const b = await good();
    const f = new EdgeFetcher(edges(`http://127.0.0.1:${await closedPort()}`, b.url));
    const got = await Promise.all([f.get('video.m4s'), f.get('audio.m4s')]);
    expect(got.map((r) => r.edge)).toEqual(['edge-b', 'edge-b']);
    expect(f.failovers).toHaveLength(2);
    expect(f.edgeSwitches).toHaveLength(1);
  });

  it('a 5xx fails over', async () => {
    const a = await serve((_, res) => {
      res.writeHead(502);
      res.end('bad gateway');
    });
    const b = await good();
    const f = new EdgeFetcher(edges(a.url, b.url));
    expect((await f.get('seg-1.m4s')).edge).toBe('edge-b');
    expect(f.failovers[0]?.reason).toBe('HTTP 502');
  });

  it('an edge that never answers fails over after the timeout', async () => {
    const a = await serve(() => {}); // accepts, never answers
    const b = await good();
    const f = new EdgeFetcher(edges(a.url, b.url), { timeoutMs: 150 });
    const t0 = performance.now();
    expect((await f.get('seg-1.m4s')).edge).toBe('edge-b');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(f.failovers[0]?.reason).toBe('no answer within 150 ms');
  });

  it('a body cut off midway is fetched again, whole, from the next edge', async () => {
    const a = await serve((_, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(300));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const b = await good();
    const f = new EdgeFetcher(edges(a.url, b.url));
    const r = await f.get('seg-1.m4s');
    expect(r).toMatchObject({ edge: 'edge-b', bytes: 1000 });
    expect(f.failovers[0]?.reason).toMatch(/the body broke off after 300 bytes/);
  });

  it('wraps round to the edges before the one in use', async () => {
    let down = false;
    const a = await good();
    const b = await serve((_, res) => {
      res.writeHead(down ? 503 : 200);
      res.end('x');
    });
    const f = new EdgeFetcher(edges(`http://127.0.0.1:${await closedPort()}`, b.url, a.url));
    expect((await f.get('one')).edge).toBe('edge-b');
    down = true;
    expect((await f.get('two')).edge).toBe('edge-c');
    expect(f.failovers.map((e) => [e.from, e.to])).toEqual([
      ['edge-a', 'edge-b'],
      ['edge-b', 'edge-c'],
    ]);
    expect(f.edgeSwitches).toEqual([
      { from: 'edge-a', to: 'edge-b', uri: 'one' },
      { from: 'edge-b', to: 'edge-c', uri: 'two' },
    ]);
  });

  it('a 403 is not an edge failure: no failover, an error about the signed URL', async () => {
    const a = await serve((_, res) => {
      res.writeHead(403);
      res.end();
    });
    const b = await good();
    const err = await new EdgeFetcher(edges(a.url, b.url)).get('seg.m4s').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlixError);
    expect((err as FlixError).message).toMatch(/refused seg.m4s \(403\).*invalid or expired/);
    expect(b.hits).toEqual([]);
  });

  it('every edge failing is a playback error naming each failure', async () => {
    const a = await serve((_, res) => {
      res.writeHead(500);
      res.end();
    });
    const f = new EdgeFetcher(edges(a.url, `http://127.0.0.1:${await closedPort()}`));
    const err = (await f.get('seg-9.m4s').catch((e: unknown) => e)) as FlixError;
    expect(err.exitCode).toBe(ExitCode.componentFailed);
    expect(err.message).toBe('every edge failed to serve seg-9.m4s');
    expect(err.details).toMatch(/edge-a: HTTP 500\nedge-b: no answer: ECONNREFUSED/);
  });

  it('refuses an empty edge list', () => {
    expect(() => new EdgeFetcher([])).toThrow(/no edges/);
  });
});
