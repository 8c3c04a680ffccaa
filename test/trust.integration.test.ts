import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSecrets } from '../src/lib/cluster/secrets.js';
import { forEachLimited } from '../src/lib/core/concurrency.js';
import { clusterPaths } from '../src/lib/core/paths.js';
import { mysqlSocketPath } from '../src/lib/engines/mysql/driver.js';
import { ingestUpload, openDataPlane } from '../src/lib/ops/ingest.js';
import { flix, repoRoot, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import {
  type Component,
  createUser,
  operatorHeaders,
  SHARED_CLUSTER,
  status,
  unique,
} from './helpers/cluster.js';
import { type Answer, httpCall } from './helpers/http.js';

/**
 * The trust boundaries of a cluster, tried the way a careless client, a viewer after more than
 * they paid for, and a stranger process on the machine would try them.
 */
const name = SHARED_CLUSTER;
let components: Component[] = [];
let elb = '';
let dir = '';
let hdTitle = '';
const endpoint = (n: string) => components.find((c) => c.name === n)?.endpoint as string;

const api = (
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers?: Record<string, string>,
) =>
  httpCall(elb, method, path, {
    token,
    headers,
    body:
      body === undefined
        ? undefined
        : typeof body === 'string' || Buffer.isBuffer(body)
          ? body
          : JSON.stringify(body),
  });

/** A user made by the operator; its token. */
async function user(
  base: string,
  plan: 'basic' | 'standard' | 'premium' = 'standard',
): Promise<{ name: string; token: string }> {
  const n = unique(base);
  return { name: n, token: await createUser(n, plan, name) };
}

/** Every breaker of every service, as `flix status --breakers` shows them. */
async function openBreakers(): Promise<string[]> {
  const r = await flix(['status', '--breakers', '--name', name, '--json']);
  const open: string[] = [];
  for (const c of r.json.breakers as Array<{
    component: string;
    breakers: Array<{ name: string; breaker: { state: string } }>;
  }>) {
    for (const b of c.breakers)
      if (b.breaker.state !== 'closed') open.push(`${c.component}/${b.name}: ${b.breaker.state}`);
  }
  return open;
}

describe('trust boundaries', () => {
  beforeAll(async () => {
    components = await status();
    elb = endpoint('elb-1');
    dir = await mkdtemp(join(tmpdir(), 'flix-trust-'));
    // a title with renditions above and below what a basic plan plays
    const hd = join(dir, 'hd.mp4');
    synthClip(hd, {
      size: '1280x720',
      seconds: 9,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    });
    hdTitle = unique('HD Trip');
    const r = await flix([
      'ingest',
      hd,
      '--title',
      hdTitle,
      '--regions',
      'US',
      '--wait',
      '--name',
      name,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('any Unicode in a title is stored and found; a bad character is a client error', () => {
    it('ingests titles in every script and emoji, found by exact name and listed', async () => {
      const scripts = [
        'Ελληνικά',
        'Кириллица',
        'עברית\u200f',
        'العربية',
        'हिन्दी',
        'বাংলা',
        'ไทย',
        '한국어',
        '日本語',
        '中文',
        'ქართული',
        'Հայերեն',
        'አማርኛ',
        'தமிழ்',
        'ᚠᚢᚦ',
        '𝔉𝔯𝔞𝔨𝔱𝔲𝔯',
        '🎬🍿',
        '👨‍👩‍👧',
        '🏳️‍🌈',
        'Ünïcödé',
      ];
      // 200 names: each script, numbered, one of them at the longest a title may be
      const names = Array.from({ length: 200 }, (_, i) => `${scripts[i % scripts.length]} ${i}`);
      names[199] = `${'🎬'.repeat(196)} 199`;
      const clip = join(dir, 'tiny.mp4');
      synthClip(clip, {
        size: '128x72',
        seconds: 1.2,
        codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-an'],
      });
      // the upload step `flix ingest` runs (validation, catalog row, multipart upload, event), three
      // at a time in one process: 200 CLI starts would only add Node start-ups
      const plane = await openDataPlane(name);
      const ids = new Map<string, string>();
      try {
        await forEachLimited(names, 3, async (title) => {
          ids.set(
            title,
            await ingestUpload(plane, { file: clip, title, year: null, genres: [], regions: ['US'] }),
          );
        });
        // every title comes out ready (watched in the catalog's table: a CLI start every half
        // second would take the CPU the pipeline needs)
        await waitFor(
          'the 200 titles to be ready',
          async () => {
            const [rows] = await plane.db.query<Array<{ status: string } & RowDataPacket>>(
              'SELECT status FROM titles WHERE id IN (?)',
              [[...ids.values()]],
            );
            expect(rows.filter((t) => t.status === 'failed')).toEqual([]);
            return rows.length === 200 && rows.every((t) => t.status === 'ready');
          },
          600_000,
        );
      } finally {
        await plane.close();
      }
      // and `flix titles list` lists each under its own name
      const list = (await flix(['titles', 'list', '--name', name, '--json'])).json.titles as Array<{
        id: string;
        title: string;
        status: string;
      }>;
      const listed = list.filter((t) => ids.get(t.title) === t.id);
      expect([listed.length, listed.every((t) => t.status === 'ready')]).toEqual([200, true]);
      // the API finds each by its exact name: four viewers, fifty names each, each viewer
      // pacing itself to the shared cluster's per-user rate limit as a client does (Retry-After)
      const viewers = await Promise.all(Array.from({ length: 4 }, (_, i) => user(`unicode${i}`)));
      const lookUp = async (title: string, token: string): Promise<Answer> => {
        for (;;) {
          const r = await api('GET', `/api/titles/${encodeURIComponent(title)}`, token);
          if (r.status !== 429) return r;
          await sleep(Number(r.headers['retry-after'] ?? 1) * 1000);
        }
      };
      await Promise.all(
        viewers.map(async (viewer, v) => {
          for (const title of names.slice(v * 50, v * 50 + 50)) {
            const r = await lookUp(title, viewer.token);
            expect([r.status, r.json?.id], title).toEqual([200, ids.get(title)]);
            expect(r.json.title).toBe(title.trim());
          }
        }),
      );
      // the same name again, whatever its case or invisible marks, is a conflict
      const again = await flix(['ingest', clip, '--title', 'עברית 2', '--name', name]);
      expect(again.exitCode).toBe(13);
      // and the CLI prints one back by name
      const shown = await flix(['titles', 'show', names[16] as string, '--name', name, '--json']);
      expect([shown.exitCode, shown.json?.id]).toEqual([0, ids.get(names[16] as string)]);
    }, 900_000);

    it('answers a burst of bad characters with 4xx, every breaker stays closed, and other viewers play', async () => {
      const viewer = await user('burst');
      const odd = [
        '🦄',
        '\u202e',
        'x\u0301\u0301',
        '𝕏',
        '\u200f',
        'a'.repeat(150),
        '🙂'.repeat(120),
        '%F0%9F%98',
      ];
      const answers: Answer[] = [];
      for (let round = 0; round < 8; round++) {
        answers.push(
          ...(await Promise.all([
            ...odd.map((o) =>
              api('GET', `/api/titles/${o.startsWith('%') ? o : encodeURIComponent(o)}`, viewer.token),
            ),
            ...odd.map((o) => api('POST', '/api/play', viewer.token, { title: o })),
            // bytes that are not UTF-8 at all
            api(
              'POST',
              '/api/play',
              viewer.token,
              Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
              {
                'content-type': 'application/json',
              },
            ),
          ])),
        );
      }
      const statuses = new Set(answers.map((a) => a.status));
      expect(
        [...statuses].every((s) => s >= 400 && s < 500),
        [...statuses].join(','),
      ).toBe(true);
      // no database or engine text in any answer
      for (const a of answers) expect(a.text).not.toMatch(/SQL|ER_|Incorrect string|collation|mysql/i);
      expect(await openBreakers()).toEqual([]);
      const other = await user('bystander');
      const play = await api('POST', '/api/play', other.token, { title: hdTitle });
      expect(play.status, play.text).toBe(200);
      await api('DELETE', `/api/play/${play.json.playId}`, other.token);
    });

    it('ingests a title whose name is an emoji from the CLI', async () => {
      const r = await flix([
        'ingest',
        join(repoRoot, 'fixtures', 'media', 'good.mp4'),
        '--title',
        unique('🎞️'),
        '--name',
        name,
        '--json',
      ]);
      expect(r.exitCode, r.stderr).toBe(0);
    });
  });

  describe('billing is the operator’s and plans are enforced', () => {
    it('refuses a viewer changing their own plan, and caps tokens they mint', async () => {
      const viewer = await user('upgrader', 'basic');
      const me = (await api('GET', '/api/me', viewer.token)).json;
      const change = await api('PUT', `/api/users/${me.id}/subscription`, viewer.token, { plan: 'premium' });
      expect([change.status, change.json.error.code]).toEqual([403, 'billing-is-the-operators']);
      const long = await api('POST', `/api/users/${me.id}/tokens`, viewer.token, {
        ttlSeconds: 365 * 86_400,
      });
      expect([long.status, long.json.error.code]).toEqual([400, 'invalid-request']);
      const short = await api('POST', `/api/users/${me.id}/tokens`, viewer.token, { ttlSeconds: 3600 });
      expect(short.status).toBe(201);
      expect((await api('GET', '/api/me', viewer.token)).json.plan.id).toBe('basic');
      // the operator can
      const op = await flix(['users', 'plan', viewer.name, 'premium', '--name', name, '--json']);
      expect([op.exitCode, op.json?.user?.plan?.id]).toEqual([0, 'premium']);
    });

    it('offers a basic plan only renditions up to 480p, and the edge opens nothing above', async () => {
      const viewer = await user('basic', 'basic');
      const play = await api('POST', '/api/play', viewer.token, { title: hdTitle });
      expect(play.status, play.text).toBe(200);
      expect(play.json.plan).toMatchObject({ id: 'basic', maxHeight: 480, maxStreams: 1 });
      const master = await fetch(play.json.edges[0].hls);
      const text = await master.text();
      const heights = [...text.matchAll(/RESOLUTION=\d+x(\d+)/g)].map((m) => Number(m[1]));
      expect(heights.length).toBeGreaterThan(0);
      expect(Math.max(...heights)).toBe(480);
      // the link itself opens 480p, never 720p, however it is asked for
      const base = play.json.edges[0].hls.slice(0, play.json.edges[0].hls.lastIndexOf('/') + 1);
      expect((await fetch(`${base}video/480p/playlist.m3u8`)).status).toBe(200);
      for (const path of [
        'video/720p/playlist.m3u8',
        'video/720p/init.mp4',
        'video/480p/../720p/seg-00001.m4s',
      ]) {
        const r = await fetch(`${base}${path}`);
        expect(r.status, path).toBe(403);
        expect((await r.json()).error.code, path).toBe('above-plan');
      }
      await api('DELETE', `/api/play/${play.json.playId}`, viewer.token);
    });

    it('refuses a play beyond the plan’s streams with 409, and frees the slot when a play ends or goes silent', async () => {
      const viewer = await user('streams', 'basic');
      const first = await api('POST', '/api/play', viewer.token, { title: hdTitle });
      expect(first.status, first.text).toBe(200);
      const second = await api('POST', '/api/play', viewer.token, { title: hdTitle });
      expect([second.status, second.json.error.code]).toEqual([409, 'too-many-streams']);
      expect(second.json.error).toMatchObject({ maxStreams: 1, plan: 'basic' });
      // the first ends: the slot is free at once
      expect((await api('DELETE', `/api/play/${first.json.playId}`, viewer.token)).status).toBe(204);
      const third = await api('POST', '/api/play', viewer.token, { title: hdTitle });
      expect(third.status, third.text).toBe(200);
      // a play that stops sending heartbeats frees its slot after the lease (the shared cluster's: 8 s)
      const silentSince = Date.now();
      const fourth = await waitFor(
        'the silent play to lose its slot',
        async () => {
          const r = await api('POST', '/api/play', viewer.token, { title: hdTitle });
          return r.status === 200 ? r : null;
        },
        30_000,
      );
      expect(Date.now() - silentSince).toBeGreaterThanOrEqual(7000);
      await api('DELETE', `/api/play/${fourth.json.playId}`, viewer.token);
    }, 60_000);

    it('refuses a heartbeat far past the end of the title', async () => {
      const viewer = await user('late');
      const play = await api('POST', '/api/play', viewer.token, { title: hdTitle });
      const hb = await api('POST', `/api/play/${play.json.playId}/heartbeat`, viewer.token, {
        position: 99_999,
      });
      expect([hb.status, hb.json.error.code]).toEqual([400, 'invalid-request']);
      await api('DELETE', `/api/play/${play.json.playId}`, viewer.token);
    });
  });

  describe('nothing inside the cluster answers a stranger', () => {
    it('answers every service port without the cluster token with 401, /health aside', async () => {
      const flixServices = components.filter((c) =>
        /^(discovery|users|catalog|playback|steering|recommendations|search|stats|comments|history|uploads|gateway|orchestrator|transcoder)-/.test(
          c.name,
        ),
      );
      expect(flixServices.length).toBeGreaterThan(10);
      for (const c of [...flixServices, components.find((x) => x.name === 'elb-1') as Component]) {
        expect((await httpCall(c.endpoint, 'GET', '/health')).status, `${c.name} /health`).toBe(200);
        expect((await httpCall(c.endpoint, 'GET', '/status')).status, `${c.name} /status`).toBe(401);
        if (c.name === 'elb-1') continue; // its other paths are the public API
        for (const [method, path] of [
          ['GET', '/v1/users'],
          ['POST', '/v1/tokens/verify'],
          ['GET', '/v1/instances'],
          ['POST', '/v1/instances'],
          ['GET', '/v1/bookmarks'],
          ['GET', '/api/health'],
          ['GET', '/_admin/filters'],
        ] as const) {
          const r = await httpCall(c.endpoint, method, path, {
            headers: { 'x-flix-user-id': 'u_victim', 'content-type': 'application/json' },
            body: method === 'POST' ? '{}' : undefined,
          });
          expect(r.status, `${c.name} ${method} ${path}`).toBe(401);
        }
      }
    });

    it('refuses a forged token, a fake registration and the gateway’s switches to anyone but the operator', async () => {
      const discovery = endpoint('discovery-a-1');
      const forged = {
        'x-flix-internal': `operator.${Math.floor(Date.now() / 1000) + 60}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
      };
      const fake = await httpCall(discovery, 'POST', '/v1/instances', {
        headers: forged,
        body: JSON.stringify({
          id: 'catalog-evil-1',
          service: 'catalog',
          zone: 'a',
          url: 'http://127.0.0.1:1',
          canary: false,
        }),
      });
      expect(fake.status).toBe(401);
      const listed = await httpCall(discovery, 'GET', '/v1/instances', { headers: await operatorHeaders() });
      expect(listed.json.instances.map((i: { id: string }) => i.id)).not.toContain('catalog-evil-1');
      // a component of the cluster is not the operator either
      const { InternalSigner } = await import('../src/lib/platform/internal-auth.js');
      const asGateway = new InternalSigner((await clusterSecrets(name)).internalKey, 'gateway-b-1').headers();
      const off = await httpCall(endpoint('gateway-a-1'), 'POST', '/_admin/filters/auth', {
        headers: asGateway,
        body: JSON.stringify({ enabled: false }),
      });
      expect([off.status, off.json.error.code]).toEqual([403, 'operator-only']);
      // through the ELB the admin paths do not exist
      expect((await api('POST', '/_admin/filters/auth', undefined, { enabled: false })).status).toBe(404);
    });

    it('gives MySQL root a password on the socket only, and the flix account the flix tables only', async () => {
      const mysqlEp = endpoint('mysql');
      const [host, port] = mysqlEp.split(':');
      await expect(mysql.createConnection({ host, port: Number(port), user: 'root' })).rejects.toThrow(
        /Access denied/,
      );
      await expect(
        mysql.createConnection({ host, port: Number(port), user: 'root', password: 'root' }),
      ).rejects.toThrow(/Access denied/);
      const plan = JSON.parse(await readFile(clusterPaths(name).plan, 'utf8'));
      const socketPath = mysqlSocketPath(plan.components.find((c: { name: string }) => c.name === 'mysql'));
      await expect(mysql.createConnection({ socketPath, user: 'root' })).rejects.toThrow(/Access denied/);
      const secrets = await clusterSecrets(name);
      const root = await mysql.createConnection({
        socketPath,
        user: 'root',
        password: secrets.mysqlRootPassword,
      });
      await root.end();
      await expect(
        mysql.createConnection({ host, port: Number(port), user: 'flix', password: 'flix' }),
      ).rejects.toThrow(/Access denied/);
      const flixDb = await mysql.createConnection({
        host,
        port: Number(port),
        user: 'flix',
        password: secrets.mysqlPassword,
        database: 'flix',
      });
      try {
        await expect(flixDb.query('SELECT * FROM mysql.user')).rejects.toThrow(/denied/);
        await expect(flixDb.query('CREATE DATABASE stolen')).rejects.toThrow(/denied/);
        await expect(flixDb.query('DROP TABLE titles')).rejects.toThrow(/denied/);
        const [[row]] = (await flixDb.query(
          "SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'flix'",
        )) as unknown as [[{ cs: string }]];
        expect(row.cs).toBe('utf8mb4');
      } finally {
        await flixDb.end();
      }
    });

    it('serves published objects only through the edges; the origin keys are the cluster’s own', async () => {
      const shown = (await flix(['titles', 'show', hdTitle, '--name', name, '--json'])).json;
      const origin = endpoint('origin');
      const anonymous = await fetch(`${origin}/flix-origin/${shown.manifests.hls}`);
      expect(anonymous.status).toBe(403);
      expect((await fetch(shown.manifests.hlsUrl)).status).toBe(200);
      const creds = await flix(['status', '--credentials', '--name', name, '--json']);
      const secrets = await clusterSecrets(name);
      expect(creds.json.credentials.origin).toMatchObject({ accessKeyId: secrets.originAccessKey });
      expect(secrets.originAccessKey).not.toBe('flix');
      const props = join(clusterPaths(name).conf, 'origin', 's3proxy.properties');
      expect((await stat(props)).mode & 0o077).toBe(0);
      expect((await stat(join(clusterPaths(name).root, 'secrets.json'))).mode & 0o077).toBe(0);
    });

    it('keeps the edges’ logs to the operator, without working links, and answers missing objects in JSON', async () => {
      const shown = (await flix(['titles', 'show', hdTitle, '--name', name, '--json'])).json;
      const missing = await fetch(shown.manifests.hlsUrl.replace('master.m3u8', 'no-such-object.m4s'));
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toContain('application/json');
      expect(await missing.text()).not.toContain('<?xml');
      const log = join(clusterPaths(name).data, 'edge-a', 'access.log');
      expect((await stat(log)).mode & 0o077).toBe(0);
      const text = await readFile(log, 'utf8');
      const token = new URL(shown.manifests.hlsUrl).pathname.split('/')[4] as string;
      expect(text).toContain('/titles/');
      expect(text).not.toContain(token);
    });
  });

  describe('users and tokens', () => {
    it('answers 401, not 503, to the token of a deleted user', async () => {
      const gone = await user('gone');
      expect((await flix(['users', 'delete', gone.name, '--name', name])).exitCode).toBe(0);
      const r = await api('GET', '/api/me', gone.token);
      expect([r.status, r.json.error.code]).toEqual([401, 'invalid-token']);
      expect(r.headers['retry-after']).toBeUndefined();
      // a token whose user row vanished without its tokens is no good either
      const orphan = await user('orphan');
      const secrets = await clusterSecrets(name);
      const [host, port] = endpoint('mysql').split(':');
      const db = await mysql.createConnection({
        host,
        port: Number(port),
        user: 'flix',
        password: secrets.mysqlPassword,
        database: 'flix',
      });
      try {
        await db.query('DELETE FROM users WHERE name = ?', [orphan.name]);
      } finally {
        await db.end();
      }
      const o = await api('GET', '/api/me', orphan.token);
      expect([o.status, o.json.error.code]).toEqual([401, 'invalid-token']);
    });

    it('limits a user to the configured rate across every gateway, not per gateway', async () => {
      // the shared cluster allows 5 requests a second with bursts of 10: a window of 2 s holds 10
      const viewer = await user('counted');
      await api('GET', '/api/me', viewer.token); // its token checked (and cached) first
      // the burst starts at the next window's start: the token check above counted in this one
      const windowStarts = Date.now() - (Date.now() % 2000) + 2000;
      await sleep(windowStarts - Date.now() + 5);
      const windowEnds = windowStarts + 2000;
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => api('GET', '/api/me', viewer.token)),
      );
      const inOneWindow = Date.now() < windowEnds;
      const zones = new Set(answers.map((a) => a.headers['x-flix-elb-zone']));
      expect([...zones].sort()).toEqual(['a', 'b']);
      const allowed = answers.filter((a) => a.status === 200).length;
      expect(allowed + answers.filter((a) => a.status === 429).length).toBe(40);
      // counted per gateway it would be 10 in each zone's window; counted for the cluster, 10 in all
      // (one more window's 10 when the burst ran past the window's end on a slow machine)
      if (inOneWindow) expect(allowed).toBe(10);
      else expect(allowed).toBeLessThanOrEqual(20);
    });
  });

  describe('the command line checks its input first', () => {
    it('refuses bad titles, regions, user names and flags with exit 2 and one message each, writing nothing', async () => {
      const good = join(repoRoot, 'fixtures', 'media', 'good.mp4');
      const cases: Array<[string[], RegExp]> = [
        [['ingest', good, '--title', 'x'.repeat(201)], /at most 200 characters/],
        [['ingest', good, '--title', '    '], /visible character/],
        [['ingest', good, '--title', unique('ok'), '--regions', ',US'], /empty region/],
        [['ingest', good, '--title', unique('ok'), '--regions', 'US,ZZ'], /'ZZ' is not a region/],
        [['users', 'create', unique('zz'), '--region', 'ZZ'], /'ZZ' is not a region/],
        [['users', 'create', ''], /not a user name/],
        [['users', 'create', 'Bad Name'], /not a user name/],
        [['users', 'create', unique('p'), '--plan', 'gold'], /one of: basic, standard, premium/],
      ];
      for (const [args, message] of cases) {
        for (const json of [false, true]) {
          const r = await flix([...args, '--name', name, ...(json ? ['--json'] : [])]);
          expect(r.exitCode, `${args.join(' ')}${json ? ' --json' : ''}: ${r.stdout}${r.stderr}`).toBe(2);
          expect(json ? r.json.error : r.stderr, args.join(' ')).toMatch(message);
        }
      }
      const titles = (await flix(['titles', 'list', '--name', name, '--json'])).json.titles;
      expect(titles.filter((t: { title: string }) => t.title.startsWith('ok-'))).toEqual([]);
    });
  });
});
