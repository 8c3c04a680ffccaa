import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flix, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import { type Component, createUser, SHARED_CLUSTER, status, unique } from './helpers/cluster.js';
import { viewerApi } from './helpers/http.js';

/**
 * Recommendations on the shared cluster: the online "because you watched" row right after a
 * viewer finishes a title, the offline Spark training on the cluster's viewing history writing
 * each viewer's picks, and the same training measured on a planted viewing set, where it has to
 * beat the popularity baseline.
 */
const name = SHARED_CLUSTER;
const tag = unique('recs');
const titles = { hike: `Hike ${tag}`, climb: `Climb ${tag}`, bake: `Bake ${tag}` };
const ids: Record<keyof typeof titles, string> = { hike: '', climb: '', bake: '' };
const users = {
  ana: unique('recs-ana'),
  ben: unique('recs-ben'),
  cy: unique('recs-cy'),
  dee: unique('recs-dee'),
};
const tokens: Record<keyof typeof users, string> = { ana: '', ben: '', cy: '', dee: '' };
let elb = '';
let dir = '';

type Rows = Array<{ name: string; kind?: string; titles: Array<{ id: string }> }>;

/** Play a title to its end through the API: the last heartbeat is past 90 % of it. */
async function finish(user: keyof typeof users, title: string): Promise<void> {
  const play = await viewerApi(elb, 'POST', '/api/play', tokens[user], { title, device: 'tv' });
  expect(play.status, play.text).toBe(200);
  const beat = await viewerApi(elb, 'POST', `/api/play/${play.json.playId}/heartbeat`, tokens[user], {
    position: 3.9,
    sentAt: Date.now(),
    device: 'tv',
  });
  expect(beat.status, beat.text).toBe(204);
  await viewerApi(elb, 'DELETE', `/api/play/${play.json.playId}`, tokens[user]);
}

const show = async (user: keyof typeof users): Promise<Rows> => {
  const r = await flix(['recs', 'show', '--user', users[user], '--name', name, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.json.rows;
};

describe('recommendations', () => {
  beforeAll(async () => {
    const components: Component[] = await status();
    elb = (components.find((c) => c.name === 'elb-1') as Component).endpoint;
    for (const u of Object.keys(users) as Array<keyof typeof users>) tokens[u] = await createUser(users[u]);
    dir = await mkdtemp(join(tmpdir(), 'flix-recs-'));
    const clip = join(dir, 'four.mp4');
    synthClip(clip, {
      size: '128x72',
      seconds: 4,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-an'],
    });
    const ingest = (title: string, genres: string) =>
      flix(['ingest', clip, '--title', title, '--genres', genres, '--wait', '--name', name, '--json']);
    // genres of this run only: titles other suites left on the shared cluster share none
    const done = await Promise.all([
      ingest(titles.hike, `outdoors-${tag},travel-${tag}`),
      ingest(titles.climb, `outdoors-${tag}`),
      ingest(titles.bake, `cooking-${tag}`),
    ]);
    for (const r of done) expect(r.exitCode, r.stderr).toBe(0);
    [ids.hike, ids.climb, ids.bake] = done.map((r) => r.json.id as string);
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a new viewer the catalog rows, and "because you watched" right after they finish a title', async () => {
    const before = await show('ana');
    expect(before.map((r) => r.kind)).not.toContain('because');
    expect(before.find((r) => r.kind === 'popular')?.titles.length).toBeGreaterThan(0);

    await finish('ana', ids.hike);
    const rows = await waitFor(
      'a because-you-watched row for ana',
      async () => {
        const rs = await show('ana');
        return rs.find((r) => r.kind === 'because') ? rs : null;
      },
      30_000,
    );
    const because = rows.find((r) => r.kind === 'because') as Rows[number];
    expect(because.name).toBe(`Because you watched ${titles.hike}`);
    // before any training: the titles sharing its genres, the closest first
    expect(because.titles[0]?.id).toBe(ids.climb);
    expect(because.titles.map((t) => t.id)).not.toContain(ids.bake);
  }, 60_000);

  it('trains on the viewing history with Spark and serves each viewer picks they have not seen', async () => {
    // ben and cy watch hike and climb together; dee has only seen hike
    await finish('ben', ids.hike);
    await finish('ben', ids.climb);
    await finish('cy', ids.hike);
    await finish('cy', ids.climb);
    await finish('dee', ids.hike);
    await waitFor(
      'dee finishing hike recorded',
      async () => (await show('dee')).some((r) => r.kind === 'because'),
      30_000,
    );
    const trained = await flix(['recs', 'train', '--name', name, '--json']);
    expect(trained.exitCode, trained.stderr).toBe(0);
    expect(trained.json.source).toBe('cluster');
    expect(trained.json.wrote.users).toBeGreaterThanOrEqual(4);

    const rows = await show('dee');
    const picks = rows.find((r) => r.kind === 'picks');
    expect(picks, JSON.stringify(rows)).toBeDefined();
    const pickIds = picks?.titles.map((t) => t.id) ?? [];
    expect(pickIds).not.toContain(ids.hike);
    // watched with hike by everyone who watched hike
    expect(pickIds.slice(0, 3)).toContain(ids.climb);
  }, 660_000);

  it('beats the popularity baseline on a planted viewing set', async () => {
    const r = await flix(['recs', 'train', '--synthetic', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.model.users).toBe(300);
    expect(r.json.beatsPopularity).toBe(true);
    // planted taste is strong: well ahead, not a tie broken by noise
    expect(r.json.model.precision).toBeGreaterThan(1.5 * r.json.popularity.precision);
  }, 660_000);
});
