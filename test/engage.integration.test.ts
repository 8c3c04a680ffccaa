import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flix, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import { type Component, createUser, SHARED_CLUSTER, status, unique } from './helpers/cluster.js';
import { type Answer, httpCall, viewerApi } from './helpers/http.js';

/**
 * A viewer's engagement through the ELB and the gateways, on the shared cluster: search
 * (Elasticsearch, and the catalog's LIKE match while it is frozen), votes and stats (Cassandra
 * compare-and-set and counters), comments (Cassandra, cursor pages, rate limit). Three titles of
 * their own, named with a word no other suite uses, so every search here sees only them.
 */
const name = SHARED_CLUSTER;
const word = `q${Math.random()
  .toString(36)
  .replace(/[^a-z]/g, '')
  .slice(0, 7)}x`;
const titles = {
  trip: `Big Trip ${word}`,
  tripod: `Bigger Tripod ${word}`,
  train: `Night Train 東京 ${word}`,
};
const ids: Record<keyof typeof titles, string> = { trip: '', tripod: '', train: '' };
const users = { alice: unique('eng-alice'), bob: unique('eng-bob'), gb: unique('eng-gb') };
const tokens: Record<keyof typeof users, string> = { alice: '', bob: '', gb: '' };
let elb = '';
let components: Component[] = [];
let dir = '';

/** One API call as the given viewer makes it (the gateway's 429 waited out). */
const api = (method: string, path: string, who: keyof typeof users, body?: unknown) =>
  viewerApi(elb, method, path, tokens[who], body);
const q = encodeURIComponent;
const searchFor = (text: string, who: keyof typeof users = 'alice', extra = '') =>
  api('GET', `/api/search?q=${q(text)}${extra}`, who);
const hitIds = (r: Answer): string[] => r.json.hits.map((h: { id: string }) => h.id);
const cli = (args: string[], who: keyof typeof users = 'alice') =>
  flix([...args, '--user', users[who], '--name', name, '--json']);

describe('search, votes and comments through the public API', () => {
  beforeAll(async () => {
    components = await status();
    elb = (components.find((c) => c.name === 'elb-1') as Component).endpoint;
    tokens.alice = await createUser(users.alice);
    tokens.bob = await createUser(users.bob);
    const gb = await flix(['users', 'create', users.gb, '--region', 'GB', '--name', name, '--json']);
    expect(gb.exitCode, gb.stderr).toBe(0);
    tokens.gb = gb.json.token;
    dir = await mkdtemp(join(tmpdir(), 'flix-engage-'));
    const clip = join(dir, 'tiny.mp4');
    synthClip(clip, {
      size: '128x72',
      seconds: 1.2,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-an'],
    });
    const ingest = (title: string, genres: string, year: number, regions: string) =>
      flix([
        'ingest',
        clip,
        '--title',
        title,
        '--genres',
        genres,
        '--year',
        String(year),
        '--regions',
        regions,
        '--wait',
        '--name',
        name,
        '--json',
      ]);
    const [a, b, c] = await Promise.all([
      ingest(titles.trip, 'drama', 2024, 'US'),
      ingest(titles.tripod, 'Comedy', 2023, '*'),
      ingest(titles.train, 'drama', 2024, 'GB'),
    ]);
    for (const r of [a, b, c]) expect(r.exitCode, r.stderr).toBe(0);
    ids.trip = a.json.id;
    ids.tripod = b.json.id;
    ids.train = c.json.id;
    // the indexer applies the published events within moments
    await waitFor(
      'the three titles in the search index',
      async () => {
        const [us, uk] = await Promise.all([searchFor(word), searchFor(word, 'gb')]);
        return hitIds(us).length === 2 && hitIds(uk).length === 2;
      },
      60_000,
    );
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('describes the API at /api/openapi.json without a token', async () => {
    const r = await httpCall(elb, 'GET', '/api/openapi.json');
    expect(r.status, r.text).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
    for (const p of ['/api/search', '/api/votes/{title}', '/api/comments/{title}', '/api/play'])
      expect(r.json.paths[p], p).toBeDefined();
    // the cluster's own comment limit
    expect(
      r.json.paths['/api/comments/{title}'].post.requestBody.content['application/json'].schema.properties
        .text.type,
    ).toBe('string');
  });

  describe('search', () => {
    it('forgives a typo, matches as you type, and filters by genre, year and region', async () => {
      const typo = await searchFor(`big trp ${word}`);
      expect(typo.status, typo.text).toBe(200);
      expect(typo.json).toMatchObject({ degraded: false, query: `big trp ${word}` });
      expect(hitIds(typo)).toEqual([ids.trip]);
      // the last word may be unfinished
      expect(hitIds(await searchFor(`${word} bigger tri`))).toEqual([ids.tripod]);
      expect(hitIds(await searchFor(`${word} tri`)).sort()).toEqual([ids.trip, ids.tripod].sort());
      expect(hitIds(await searchFor(`${word} tri`, 'alice', '&genre=comedy'))).toEqual([ids.tripod]);
      expect(hitIds(await searchFor(`${word} tri`, 'alice', '&year=2024'))).toEqual([ids.trip]);
      // licensed only in GB: a viewer in the US does not find it, one in GB does, in any script
      expect(hitIds(await searchFor(`night ${word}`))).toEqual([]);
      expect(hitIds(await searchFor(`東京 ${word}`, 'gb'))).toEqual([ids.train]);
      expect(hitIds(await searchFor(`${word} big trip`, 'gb'))).toEqual([]);
    });

    it('answers `flix search` with the hits, and refuses empty or over-long queries with exit 12', async () => {
      const r = await cli(['search', `BIG trìp ${word}`]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json.hits.map((h: { id: string }) => h.id)).toEqual([ids.trip]);
      expect(r.json.hits[0]).toMatchObject({ title: titles.trip, year: 2024, genres: ['drama'] });
      const text = await flix(['search', `big trip ${word}`, '--user', users.alice, '--name', name]);
      expect(text.stdout).toContain(ids.trip);
      expect((await cli(['search', '   '])).exitCode).toBe(12);
      expect((await cli(['search', 'x'.repeat(201)])).exitCode).toBe(12);
      for (const bad of ['', '&year=1492', '&limit=0', '&region=GB']) {
        const a = await api('GET', `/api/search?q=${bad === '' ? '' : 'trip'}${bad}`, 'alice');
        expect(a.status, bad).toBe(400);
        expect(a.json.error.code).toBe('invalid-request');
      }
    });

    it('answers from the catalog, marked degraded, while Elasticsearch is frozen; the index catches up after', async () => {
      const es = components.find((c) => c.name === 'elasticsearch') as Component;
      process.kill(-es.pid, 'SIGSTOP');
      let deleted = false;
      try {
        const r = await searchFor(`big trip ${word}`);
        expect(r.status, r.text).toBe(200);
        expect(r.json).toMatchObject({ degraded: true });
        expect(r.json.reason).toMatch(/^elasticsearch: /);
        // no typo tolerance and no relevance: every word as the start of a word, by plays then name
        expect(hitIds(r)).toEqual([ids.trip, ids.tripod]);
        expect(hitIds(await searchFor(`big trp ${word}`))).toEqual([]);
        // the breaker is open now: answers come at once, and the CLI says degraded too
        const started = Date.now();
        const c = await cli(['search', `${word} night`], 'gb');
        expect(c.exitCode, c.stderr).toBe(0);
        expect(c.json.degraded).toBe(true);
        expect(c.json.hits.map((h: { id: string }) => h.id)).toEqual([ids.train]);
        expect(Date.now() - started).toBeLessThan(10_000);
        // a title deleted while the index cannot hear about it
        const d = await flix(['titles', 'delete', ids.tripod, '--name', name, '--json']);
        expect(d.exitCode, d.stderr).toBe(0);
        deleted = true;
      } finally {
        process.kill(-es.pid, 'SIGCONT');
      }
      expect(deleted).toBe(true);
      await waitFor(
        'search to answer from the index again, without the deleted title',
        async () => {
          const r = await searchFor(`${word} tri`);
          return r.json?.degraded === false && hitIds(r).join() === ids.trip;
        },
        60_000,
      );
    });
  });

  describe('votes and stats', () => {
    it('counts a like once however often it is sent, moves it on a dislike, and drops it on unvote', async () => {
      const path = `/api/votes/${q(titles.trip)}`;
      const first = await api('PUT', path, 'alice', { vote: 'like' });
      expect(first.status, first.text).toBe(200);
      expect(first.json).toMatchObject({
        titleId: ids.trip,
        likes: 1,
        dislikes: 0,
        myVote: 'like',
        changed: true,
      });
      // the same vote delivered again, five times at once: still one like
      const again = await Promise.all(
        Array.from({ length: 5 }, () => api('PUT', path, 'alice', { vote: 'like' })),
      );
      expect(again.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(again.every((r) => r.json.changed === false && r.json.likes === 1)).toBe(true);
      const bob = await cli(['like', ids.trip], 'bob');
      expect(bob.exitCode, bob.stderr).toBe(0);
      expect(bob.json).toMatchObject({ likes: 2, dislikes: 0, changed: true });
      const switched = await cli(['dislike', titles.trip]);
      expect(switched.json).toMatchObject({ likes: 1, dislikes: 1, myVote: 'dislike', changed: true });
      const un = await cli(['unvote', titles.trip]);
      expect(un.json).toMatchObject({ likes: 1, dislikes: 0, myVote: null, changed: true });
      const shown = await cli(['stats', titles.trip], 'bob');
      expect(shown.exitCode, shown.stderr).toBe(0);
      expect(shown.json).toMatchObject({
        titleId: ids.trip,
        likes: 1,
        dislikes: 0,
        views: 0,
        myVote: 'like',
      });
      // every gateway and zone tells the same counts (EVCache is written to every zone)
      for (let i = 0; i < 4; i++)
        expect((await api('GET', `/api/stats/${ids.trip}`, 'alice')).json).toMatchObject({
          likes: 1,
          myVote: null,
        });
    });

    it('counts a view once per play that played enough of the title', async () => {
      for (let i = 0; i < 2; i++) {
        const p = await flix([
          'play',
          titles.trip,
          '--user',
          users.bob,
          '--from-start',
          '--name',
          name,
          '--json',
        ]);
        expect(p.exitCode, p.stderr).toBe(0);
      }
      const shown = await waitFor(
        'two views counted',
        async () => {
          const r = await api('GET', `/api/stats/${ids.trip}`, 'alice');
          return r.json?.views === 2 ? r : null;
        },
        20_000,
      );
      expect(shown.json).toMatchObject({ likes: 1, dislikes: 0, views: 2 });
    });

    it('refuses a vote on a title one cannot play or that does not exist, and a vote that is not one, writing nothing', async () => {
      const unlicensed = await api('PUT', `/api/votes/${ids.train}`, 'alice', { vote: 'like' });
      expect(unlicensed.status).toBe(451);
      expect(unlicensed.json.error.code).toBe('not-licensed');
      expect((await cli(['like', `No Such Title ${word}`])).exitCode).toBe(15);
      const bad = await api('PUT', `/api/votes/${ids.train}`, 'gb', { vote: 'love' });
      expect(bad.status).toBe(400);
      expect((await api('GET', `/api/stats/${ids.train}`, 'gb')).json).toMatchObject({
        likes: 0,
        dislikes: 0,
        myVote: null,
      });
    });
  });

  describe('share links', () => {
    it('lets another viewer play a shared title where it is licensed, and refuses forged and expired links', async () => {
      const made = await cli(['share', titles.trip, '--expires', '1d']);
      expect(made.exitCode, made.stderr).toBe(0);
      expect(made.json).toMatchObject({ titleId: ids.trip, link: expect.stringContaining('/api/shares/') });
      const played = await flix([
        'play',
        '--link',
        made.json.link,
        '--user',
        users.bob,
        '--speed',
        '20',
        '--name',
        name,
        '--json',
      ]);
      expect(played.exitCode, played.stderr).toBe(0);
      expect(played.json.titleId).toBe(ids.trip);
      // the viewer in GB may open the link, but the title is not licensed there
      const token = made.json.token as string;
      expect((await api('GET', `/api/shares/${token}`, 'gb')).status).toBe(451);
      // one character changed in the payload: not this cluster's link
      const forged = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
      const refused = await api('GET', `/api/shares/${forged}`, 'bob');
      expect(refused.status).toBe(403);
      expect(refused.json.error.code).toBe('invalid-share');
      expect((await flix(['play', '--link', forged, '--user', users.bob, '--name', name])).exitCode).toBe(2);
      // signed by this cluster, but expired a minute ago
      const { clusterSecrets } = await import('../src/lib/cluster/secrets.js');
      const { shareKey, signShare } = await import('../src/lib/services/playback/share.js');
      const key = shareKey((await clusterSecrets(name)).internalKey);
      const expired = signShare(key, {
        titleId: ids.trip,
        sharedBy: 'x',
        expiresAt: Math.floor(Date.now() / 1000) - 60,
      });
      const gone = await api('GET', `/api/shares/${expired}`, 'bob');
      expect(gone.status).toBe(410);
      expect((await flix(['play', '--link', expired, '--user', users.bob, '--name', name])).exitCode).toBe(
        13,
      );
      expect((await cli(['share', ids.train])).exitCode).toBe(13);
    });
  });

  describe('comments', () => {
    it('keeps comments as written, newest first, a page at a time', async () => {
      const texts = ['First! 🎬', 'Loved the ending\nand the music', '最後が最高 — مذهل'];
      const added: string[] = [];
      for (const text of texts) {
        const r = await api('POST', `/api/comments/${q(titles.trip)}`, 'alice', { text });
        expect(r.status, r.text).toBe(201);
        expect(r.json).toMatchObject({ titleId: ids.trip, userId: expect.any(String), text });
        added.push(r.json.id);
      }
      const one = await api('GET', `/api/comments/${ids.trip}?limit=2`, 'bob');
      expect(one.status, one.text).toBe(200);
      expect(one.json.comments.map((c: { text: string }) => c.text)).toEqual([texts[2], texts[1]]);
      expect(one.json.next).toEqual(expect.any(String));
      const two = await api('GET', `/api/comments/${ids.trip}?limit=2&cursor=${q(one.json.next)}`, 'bob');
      expect(two.json.comments.map((c: { id: string }) => c.id)).toEqual([added[0]]);
      expect(two.json.next).toBeNull();
      const page2 = await cli(['comment', 'list', titles.trip, '--limit', '2', '--page', '2'], 'bob');
      expect(page2.exitCode, page2.stderr).toBe(0);
      expect(page2.json.comments.map((c: { text: string }) => c.text)).toEqual([texts[0]]);
      const badCursor = await api('GET', `/api/comments/${ids.trip}?cursor=bm90LWEtY3Vyc29y`, 'bob');
      expect(badCursor.status).toBe(400);

      // bob may not delete alice's comment; alice may, and it is gone
      const theirs = await cli(['comment', 'delete', titles.trip, added[1] as string], 'bob');
      expect(theirs.exitCode).toBe(2);
      expect(theirs.stdout).toMatch(/forbidden/);
      const own = await cli(['comment', 'delete', titles.trip, added[1] as string]);
      expect(own.exitCode, own.stdout).toBe(0);
      const after = await api('GET', `/api/comments/${ids.trip}`, 'bob');
      expect(after.json.comments.map((c: { id: string }) => c.id)).toEqual([added[2], added[0]]);
      expect((await api('DELETE', `/api/comments/${ids.trip}/${added[1]}`, 'alice')).status).toBe(404);
    });

    it('refuses empty, over-long and unlicensed comments, and a sixth comment in a minute, writing none of them', async () => {
      const path = `/api/comments/${q(titles.trip)}`;
      for (const text of ['   ', 'x'.repeat(2001), 'bell \u0007']) {
        const r = await api('POST', path, 'bob', { text });
        expect(r.status, text.slice(0, 10)).toBe(400);
        expect(r.json.error.code).toBe('invalid-request');
      }
      expect((await api('POST', `/api/comments/${ids.train}`, 'bob', { text: 'hi' })).status).toBe(451);
      const cliBad = await cli(['comment', 'add', titles.trip, 'y'.repeat(2001)], 'bob');
      expect(cliBad.exitCode).toBe(12);
      const before = (await api('GET', `${path}?limit=100`, 'bob')).json.comments.length;
      // 2000 characters of emoji is at the limit, not over it
      const longest = await api('POST', path, 'bob', { text: '🎬'.repeat(2000) });
      expect(longest.status, longest.text).toBe(201);
      for (let i = 2; i <= 5; i++)
        expect((await api('POST', path, 'bob', { text: `#${i}` })).status).toBe(201);
      const sixth = await api('POST', path, 'bob', { text: '#6' });
      expect(sixth.status).toBe(429);
      expect(sixth.json.error.code).toBe('too-many-comments');
      expect(sixth.headers['retry-after']).toBe('60');
      const list = (await api('GET', `${path}?limit=100`, 'bob')).json.comments;
      expect(list.length).toBe(before + 5);
      expect(list[0].text).toBe('#5');
    });

    it('lets only the comments left in the minute through when a viewer sends several at once', async () => {
      const path = `/api/comments/${ids.trip}`;
      const token = await createUser(unique('eng-burst'));
      const post = (text: string) => viewerApi(elb, 'POST', path, token, { text });
      for (let i = 1; i <= 3; i++) expect((await post(`calm ${i}`)).status).toBe(201);
      // five at once, as two tabs and a retrying client would: two fit in the minute
      const burst = await Promise.all([1, 2, 3, 4, 5].map((i) => post(`burst ${i}`)));
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 429, 429, 429]);
      const mine = (await api('GET', `${path}?limit=100`, 'alice')).json.comments.filter(
        (c: { text: string }) => c.text.startsWith('burst '),
      );
      expect(mine).toHaveLength(2);
    });
  });
});
