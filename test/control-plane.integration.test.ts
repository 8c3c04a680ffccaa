import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flix, repoRoot, sleep, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import { type Component, createUser, operatorHeaders, SHARED_CLUSTER, status } from './helpers/cluster.js';
import { httpCall, viewerApi } from './helpers/http.js';
import { expectAllHits } from './helpers/play.js';

/**
 * A viewer's play end to end on the shared CI cluster, and the failures it must survive: ELB → gateway →
 * playback (users, catalog, Cassandra bookmark, steering) → signed edge URLs → the ABR client.
 */
const name = SHARED_CLUSTER;
let dir = '';
let elb = '';
let components: Component[] = [];
let alice = '';
let bob = '';
const bin = join(repoRoot, 'bin', 'run.js');

// the shared cluster allows a user 5 requests a second: the gateway's own 429 is waited out
const api = (method: string, path: string, token: string, body?: unknown) =>
  viewerApi(elb, method, path, token, body);

/** `flix play` as a user runs it; the parsed report in `.json`. */
function play(args: string[]) {
  return flix(['play', ...args, '--name', name, '--json']);
}

/** A short play of Big Trip by alice from the start, time running 20× faster. */
function shortPlay(...extra: string[]) {
  return play(['Big Trip', '--user', 'alice', '--from-start', '--duration', '8s', '--speed', '20', ...extra]);
}

/** Stops (SIGSTOP) or resumes (SIGCONT) a component's whole process group: it hangs as a dead host would. */
function freeze(c: Component, on: boolean) {
  process.kill(-c.pid, on ? 'SIGSTOP' : 'SIGCONT');
}

describe('playback through the control plane', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flix-play-it-'));
    // a title long enough to kill an edge in the middle of it, with two renditions to switch between
    synthClip(join(dir, 'long.mp4'), {
      size: '640x360',
      seconds: 40,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    });
    components = await status();
    elb = components.find((c) => c.name === 'elb-1')?.endpoint as string;

    for (const [file, title, regions] of [
      [join(dir, 'long.mp4'), 'Big Trip', 'US,DE'],
      [join(repoRoot, 'fixtures', 'media', 'good.mp4'), 'Heimat', 'DE'],
    ] as const) {
      const ing = await flix([
        'ingest',
        file,
        '--title',
        title,
        '--regions',
        regions,
        '--genres',
        'drama',
        '--wait',
        '--name',
        name,
        '--json',
      ]);
      expect(ing.exitCode, ing.stderr).toBe(0);
    }
    alice = await createUser('alice', 'premium');
    const b = await flix(['users', 'create', 'bob', '--region', 'US', '--name', name, '--json']);
    bob = b.json.token;
  });

  afterAll(async () => {
    // nothing stays frozen, whatever a test left behind
    const supervisorPid = (await flix(['status', '--name', name, '--json'])).json?.supervisorPid;
    if (supervisorPid) process.kill(supervisorPid, 'SIGCONT');
    for (const c of await status().catch(() => [])) {
      try {
        process.kill(-c.pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plays a title end to end over HLS: start latency, renditions, heartbeats, bookmark', async () => {
    const r = await play([
      'Big Trip',
      '--user',
      'alice',
      '--bandwidth',
      '4mbps,600kbps@12s',
      '--duration',
      '24s',
      '--speed',
      '8',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const rep = r.json;
    expect(rep.titleId).toMatch(/^big-trip-/);
    expect(rep.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(rep.startLatencyMs).toBeGreaterThan(0);
    expect(rep.playedSeconds).toBeGreaterThanOrEqual(23);
    expect(rep.videoSegments).toBeGreaterThanOrEqual(6);
    expect(rep.audioBytes).toBeGreaterThan(0);
    expect(rep.rankedEdges.length).toBe(2);
    expect(rep.failovers).toEqual([]);
    expect(rep.heartbeats.failed).toBe(0);
    expect(rep.heartbeats.sent).toBeGreaterThanOrEqual(2);
    // the bookmark the last heartbeat wrote (Cassandra), read back through the API
    const marks = await api('GET', '/api/bookmarks', alice);
    expect(marks.status).toBe(200);
    const mark = marks.json.bookmarks.find((b: { titleId: string }) => b.titleId === rep.titleId);
    expect(mark.position).toBeGreaterThanOrEqual(20);
    // a second play resumes there
    const again = await api('POST', '/api/play', alice, { title: 'big trip' });
    expect(again.status).toBe(200);
    expect(again.json.position).toBe(mark.position);
  });

  it('plays DASH from the start from edges that hold the title (cache hits)', async () => {
    // the HLS play filled its own zone's edge; the ELB may send this play to the other zone, so
    // every edge is warmed first: then every segment the play fetches is answered from a cache
    const warm = await flix(['prewarm', '--title', 'Big Trip', '--name', name, '--json']);
    expect(warm.exitCode, warm.stderr).toBe(0);
    const r = await shortPlay('--dash');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.protocol).toBe('dash');
    expectAllHits(r.json);
  });

  it('refuses with the right status: 404 unknown, 451 unlicensed, 403 another user’s play, 400 bad body', async () => {
    expect((await api('POST', '/api/play', alice, { title: 'No Such Film' })).status).toBe(404);
    const unlicensed = await api('POST', '/api/play', alice, { title: 'Heimat' });
    expect(unlicensed.status).toBe(451);
    expect(unlicensed.json.error).toMatchObject({ code: 'not-licensed', region: 'US' });
    const played = await api('POST', '/api/play', alice, { title: 'Big Trip' });
    const stolen = await api('POST', `/api/play/${played.json.playId}/heartbeat`, bob, { position: 3 });
    expect(stolen.status).toBe(403);
    expect(stolen.json.error.code).toBe('forbidden');
    expect((await api('POST', '/api/play', alice, { title: 7 })).status).toBe(400);
    // and the CLI says the same with its exit codes
    expect((await play(['Heimat', '--user', 'alice'])).exitCode).toBe(13);
    expect((await play(['No Such Film', '--user', 'alice'])).exitCode).toBe(15);
  });

  it('sends a request with the canary header to the catalog canary', async () => {
    const r = await httpCall(elb, 'GET', '/api/titles/big%20trip', {
      token: alice,
      headers: { 'x-flix-canary': '1' },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-flix-upstream']).toBe('catalog-canary-1');
    const plain = await api('GET', '/api/titles/big%20trip', alice);
    expect(plain.headers['x-flix-upstream']).toMatch(/^catalog-[ab]-1$/);
  });

  it('serves the static top 10 when recommendations hang, with the breaker open, and recovers', async () => {
    const ok = await api('GET', '/api/recommendations', alice);
    expect(ok.status).toBe(200);
    expect(ok.json.degraded).toBe(false);
    const recs = (await status()).filter((c) => c.name.startsWith('recommendations-'));
    for (const c of recs) freeze(c, true);
    try {
      let fallback = null;
      for (let i = 0; i < 12; i++) {
        const r = await api('GET', '/api/recommendations', alice);
        expect(r.status).toBe(200);
        expect(r.headers['x-flix-fallback']).toBe('recommendations');
        fallback = r.json;
      }
      expect(fallback.degraded).toBe(true);
      expect(fallback.rows[0].name).toBe('Top 10');
      expect(fallback.rows[0].titles.map((t: { title: string }) => t.title)).toContain('Big Trip');
      const breakers = await flix(['status', '--breakers', '--name', name, '--json']);
      const open = JSON.stringify(breakers.json);
      expect(open).toMatch(/"recommendations"/);
      expect(open).toMatch(/"state":"open"/);
      // an open circuit answers at once instead of waiting for the timeout
      const t0 = Date.now();
      await api('GET', '/api/recommendations', alice);
      expect(Date.now() - t0).toBeLessThan(500);
    } finally {
      for (const c of recs) freeze(c, false);
    }
    await waitFor(
      'recommendations to be served again after the breaker half-opens',
      async () => (await api('GET', '/api/recommendations', alice)).json?.degraded === false,
      30_000,
    );
  });

  it('fails over to the next edge when the edge in use is killed mid-play', async () => {
    // the supervisor would restart the edge within a fraction of a second; held still, the edge
    // stays dead for the rest of the play
    const supervisorPid = (await flix(['status', '--name', name, '--json'])).json.supervisorPid as number;
    const child = execa(
      process.execPath,
      [
        bin,
        'play',
        'Big Trip',
        '--user',
        'alice',
        '--from-start',
        '--bandwidth',
        '1500kbps',
        '--speed',
        '4',
        '--name',
        name,
        '--json',
      ],
      { reject: false, env: { CI: '1' } },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // the edge steering ranked first for the zone the ELB picked
    const inUse = await waitFor(
      'the first segments to arrive',
      async () => /seg\s+1\b.*?\b(edge-[a-z0-9]+)/.exec(stderr)?.[1],
      60_000,
    );
    const edge = (await status()).find((c) => c.name === inUse) as Component;
    process.kill(supervisorPid, 'SIGSTOP');
    let r: Awaited<typeof child>;
    try {
      process.kill(-edge.pid, 'SIGKILL');
      r = await child;
    } finally {
      process.kill(supervisorPid, 'SIGCONT');
    }
    expect(r.exitCode, `${stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.completed).toBe(true);
    expect(rep.failovers.length).toBeGreaterThanOrEqual(1);
    expect(rep.edges.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['edge-a', 'edge-b']),
    );
    // the supervisor brings the edge back
    await waitFor(
      'the killed edge to be restarted',
      async () =>
        (await status()).find((c) => c.name === inUse && c.state === 'healthy' && c.pid !== edge.pid),
      60_000,
    );
  });

  it('keeps playing through zone a when all of zone b hangs', async () => {
    const zoneB = (await status()).filter((c) => c.zone === 'b');
    expect(zoneB.map((c) => c.name)).toEqual(
      expect.arrayContaining(['gateway-b-1', 'edge-b', 'memcached-b', 'playback-b-1']),
    );
    for (const c of zoneB) freeze(c, true);
    try {
      const target = async (id: string) =>
        (
          await httpCall(elb, 'GET', '/status', { headers: await operatorHeaders() })
        ).json.status.targets.find((t: { id: string }) => t.id === id);
      await waitFor(
        'the ELB to take gateway-b out',
        async () => (await target('gateway-b-1')).healthy === false,
        30_000,
      );
      for (let i = 0; i < 3; i++) {
        const r = await shortPlay();
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.json.edges.map((e: { name: string }) => e.name)).toEqual(['edge-a']);
        expect(r.json.heartbeats.failed).toBe(0);
      }
    } finally {
      for (const c of zoneB) freeze(c, false);
    }
    await sleep(100);
  });
});
