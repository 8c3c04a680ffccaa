/**
 * The player loop over real HTTP on loopback: a node:http server plays the edge, serving the real
 * manifests of a packaged title (testdata/big-trip) and, for each segment, a body of the size the
 * real edge served (the player never looks inside a segment). The clock is passed in and only
 * sleeps move it, so the profile alone sets every download's time and the run is deterministic.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, FlixError } from '../../core/errors.js';
import { parseBandwidthProfile } from '../abr/bandwidth.js';
import { EdgeFetcher } from './fetcher.js';
import { type Heartbeat, type PlayOptions, playTitle } from './player.js';

const dir = join(import.meta.dirname, '..', '..', 'media', 'manifests', 'testdata', 'big-trip');
const sizes = JSON.parse(readFileSync(join(dir, 'sizes.json'), 'utf8')) as Record<string, number>;
const prefix = '/v/1795400000/tok/titles/big-trip/';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An edge serving the title; `fail(name, n)` may answer a status instead, or never (n = request count). */
async function edge(
  fail?: (file: string, n: number) => number | 'hang' | undefined,
): Promise<{ url: string; files: string[] }> {
  const files: string[] = [];
  const server = createServer((req, res) => {
    const file = (req.url ?? '').slice(prefix.length);
    files.push(file);
    const status = fail?.(file, files.length);
    if (status === 'hang') return;
    if (status) {
      res.writeHead(status);
      res.end();
      return;
    }
    if (!(req.url ?? '').startsWith(prefix)) {
      res.writeHead(403);
      res.end();
    } else if (file.endsWith('.m3u8') || file.endsWith('.mpd')) {
      res.writeHead(200, { 'x-cache-status': 'MISS' });
      res.end(readFileSync(join(dir, file)));
    } else if (sizes[file] !== undefined) {
      res.writeHead(200, { 'x-cache-status': 'HIT' });
      res.end(Buffer.alloc(sizes[file] as number));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, files };
}

function clock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += Math.max(0, ms);
    },
  };
}

async function play(
  urls: string[],
  options: Partial<PlayOptions> & { heartbeat?: (hb: Heartbeat) => Promise<void>; signal?: AbortSignal } = {},
) {
  const c = clock();
  const protocol = options.protocol ?? 'hls';
  const manifest = protocol === 'hls' ? 'master.m3u8' : 'manifest.mpd';
  const fetcher = new EdgeFetcher(
    urls.map((u, i) => ({ name: `edge-${'ab'[i]}`, url: `${u}${prefix}${manifest}` })),
    { now: c.now },
  );
  const beats: Heartbeat[] = [];
  const result = await playTitle(
    { protocol, profile: parseBandwidthProfile('3mbps,800kbps@10s,6mbps@20s'), speed: 10, ...options },
    {
      fetcher,
      now: c.now,
      sleep: c.sleep,
      heartbeat: options.heartbeat ?? (async (hb) => void beats.push(hb)),
      signal: options.signal,
    },
  );
  return { result, beats };
}

const sum = (files: string[]) => files.reduce((n, f) => n + (sizes[f] ?? Number.NaN), 0);
const segs = (rep: number, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `seg-${rep}-${String(from + i).padStart(5, '0')}.m4s`);

describe('playTitle over HLS', () => {
  it('plays 30 s: ABR decisions from the state machine, every byte counted, heartbeats every 10 s', async () => {
    const a = await edge();
    const { result: r, beats } = await play([a.url], { playSeconds: 30, requestSentAtMs: -250 });
    expect(r).toMatchObject({ completed: true, endReason: 'duration', playedSeconds: 30, protocol: 'hls' });
    expect(r.titleSeconds).toBe(40);
    // 240p (HLS index 3) to start, up to 480p (index 1) once the buffer passes 10 s at 3 Mbps
    expect(r.segments.map((s) => s.rendition)).toEqual([
      '240p',
      '240p',
      '240p',
      '480p',
      '480p',
      '480p',
      '480p',
      '480p',
    ]);
    expect(r.switches).toEqual([
      expect.objectContaining({ from: '240p', to: '480p', segment: 3, reason: 'throughput-rise' }),
    ]);
    expect(r.videoBytes).toBe(sum(['init-3.m4s', ...segs(3, 1, 3), 'init-1.m4s', ...segs(1, 4, 8)]));
    // the audio up to the end of the 8th video segment (32 s): 4.01 s segments after a 3.95 s one
    expect(r.audioSegments).toBe(9);
    expect(r.audioBytes).toBe(sum(['init-4.m4s', ...segs(4, 1, 9)]));
    expect(r.bytes).toBe(r.videoBytes + r.audioBytes);
    expect(r.manifestBytes).toBe(784 + 4 * 481 + 515);
    expect(r.startLatencyMs).toBe(250);
    expect(r.rebufferCount).toBe(0);
    expect(r.edges).toEqual([{ name: 'edge-a', objects: 6 + 2 + 8 + 10, bytes: r.manifestBytes + r.bytes }]);
    expect(r.cache).toEqual({ hits: 20, answers: 26 });
    expect(r.failovers).toEqual([]);
    // the first download took 274 kB at 3 Mbps
    expect(r.segments[0]?.seconds).toBeCloseTo(
      (((r.segments[0]?.videoBytes ?? 0) + (r.segments[0]?.audioBytes ?? 0)) * 8) / 3e6,
      3,
    );
    expect(r.meanThroughputBps).toBeGreaterThan(800_000);
    expect(beats.map((b) => b.position)).toEqual([expect.any(Number), expect.any(Number), 30]);
    expect(beats[0]?.position).toBeGreaterThanOrEqual(10);
    expect(beats[0]?.position).toBeLessThan(11);
    expect(beats[1]?.position).toBeGreaterThanOrEqual(20);
    expect(beats[1]?.position).toBeLessThan(21);
    expect(beats.every((b) => b.edge === 'edge-a' && b.rendition === '480p')).toBe(true);
    expect(r.heartbeats).toEqual({ sent: 3, failed: 0, errors: [] });
  });

  it('stalls when the link drops under the rendition, then switches down', async () => {
    const a = await edge();
    const { result: r } = await play([a.url], {
      playSeconds: 30,
      profile: parseBandwidthProfile('3mbps,300kbps@6s,6mbps@25s'),
    });
    expect(r.rebufferCount).toBe(1);
    expect(r.rebufferSeconds).toBeGreaterThan(1);
    expect(r.switches.map((s) => [s.from, s.to, s.reason])).toEqual([
      ['240p', '480p', 'throughput-rise'],
      ['480p', '240p', 'throughput-drop'],
    ]);
  });

  it('fails over mid-play when the edge in use starts answering 503, and stays on the next', async () => {
    const a = await edge((file) => (file === 'seg-1-00005.m4s' ? 503 : undefined));
    const b = await edge();
    const { result: r, beats } = await play([a.url, b.url], { playSeconds: 30 });
    expect(r.completed).toBe(true);
    expect(r.failovers).toEqual([
      { uri: 'seg-1-00005.m4s', from: 'edge-a', to: 'edge-b', reason: 'HTTP 503' },
    ]);
    expect(r.edgeSwitches).toEqual([{ from: 'edge-a', to: 'edge-b', uri: 'seg-1-00005.m4s' }]);
    expect(r.segments.map((s) => s.edge)).toEqual([...Array(4).fill('edge-a'), ...Array(4).fill('edge-b')]);
    expect(b.files[0]).toBe('seg-1-00005.m4s');
    expect(r.edges.map((e) => e.name)).toEqual(['edge-a', 'edge-b']);
    expect(beats.at(-1)?.edge).toBe('edge-b');
  });

  it('every edge failing for a segment is a playback error', async () => {
    const down = (file: string) => (file === 'seg-3-00002.m4s' ? 500 : undefined);
    const a = await edge(down);
    const b = await edge(down);
    const err = (await play([a.url, b.url]).catch((e: unknown) => e)) as FlixError;
    expect(err).toBeInstanceOf(FlixError);
    expect(err.exitCode).toBe(ExitCode.componentFailed);
    expect(err.message).toBe('every edge failed to serve seg-3-00002.m4s');
  });

  it('counts failed heartbeats and plays on', async () => {
    const a = await edge();
    const { result: r } = await play([a.url], {
      playSeconds: 20,
      heartbeat: async () => {
        throw new Error('heartbeat answered 503');
      },
    });
    expect(r.completed).toBe(true);
    expect(r.heartbeats).toEqual({
      sent: 2,
      failed: 2,
      errors: ['heartbeat answered 503', 'heartbeat answered 503'],
    });
  });

  it('stops, not completed, when the link goes down for good', async () => {
    const a = await edge();
    const { result: r } = await play([a.url], { profile: parseBandwidthProfile('3mbps,0bps@5s') });
    expect(r).toMatchObject({ completed: false, endReason: 'link-down' });
    expect(r.playedSeconds).toBeLessThan(40);
  });

  it('stops when aborted', async () => {
    const a = await edge();
    const abort = new AbortController();
    abort.abort();
    const { result: r } = await play([a.url], { signal: abort.signal });
    expect(r).toMatchObject({ completed: false, endReason: 'aborted', videoSegments: 0 });
  });
});

describe('playTitle over DASH', () => {
  it('starts at the segment holding the bookmark and plays to the end of the title', async () => {
    const a = await edge();
    const { result: r, beats } = await play([a.url], { protocol: 'dash', startPosition: 13.5 });
    expect(r).toMatchObject({
      protocol: 'dash',
      completed: true,
      endReason: 'end-of-title',
      startPositionSeconds: 12,
    });
    expect(r.playedSeconds).toBe(28);
    expect(r.segments[0]?.segment).toBe(3);
    expect(r.segments.at(-1)?.segment).toBe(9);
    // DASH Representation 3 is 240p; its segments are numbered from 1
    expect(a.files).toContain('seg-3-00004.m4s');
    expect(a.files).not.toContain('seg-3-00003.m4s');
    // audio from the segment holding 12 s (the 4th) to the short last one
    expect(r.audioSegments).toBe(8);
    expect(beats.at(-1)?.position).toBe(40);
  });
});

describe('playTitle interrupted', () => {
  it('during a download: the report of what was played, not an error', async () => {
    const abort = new AbortController();
    const a = await edge((file) => {
      if (file !== 'seg-3-00003.m4s') return undefined;
      setTimeout(() => abort.abort(new Error('interrupted')), 20);
      return 'hang';
    });
    const { result: r } = await play([a.url], { signal: abort.signal });
    expect(r).toMatchObject({ completed: false, endReason: 'aborted', videoSegments: 2 });
  });
});
