import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { flix, repoRoot, waitFor } from './helpers/cli.js';
import { createUser, endpointOf, SHARED_CLUSTER, unique } from './helpers/cluster.js';
import { httpCall } from './helpers/http.js';
import { expectAllHits } from './helpers/play.js';

/**
 * Distribution on the shared CI cluster: a published title is pushed to every edge by the
 * distribution service, so its very first play is answered from the edges' caches and steering
 * sends viewers to an edge that holds it.
 */
const name = SHARED_CLUSTER;
const clip = join(repoRoot, 'fixtures', 'media', 'good.mp4');
const title = unique('Fill On Publish');
const viewer = unique('viewer');
let titleId = '';
let token = '';
let elb = '';

interface EdgeHolding {
  edge: string;
  zone: string;
  heldObjects: number;
  objects: number;
  distributed: boolean;
}

async function show(id: string) {
  return (await flix(['titles', 'show', id, '--name', name, '--json'])).json;
}

const play = (zone: string) =>
  httpCall(elb, 'POST', '/api/play', { token, body: JSON.stringify({ title: titleId, zone }) });

describe('distribution to the edges', () => {
  beforeAll(async () => {
    token = await createUser(viewer);
    elb = await endpointOf('elb-1');
    const r = await flix(['ingest', clip, '--title', title, '--wait', '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    titleId = r.json.id;
  }, 300_000);

  it('fills every edge when a title is published: hot, and distributed on each edge', async () => {
    const t = await waitFor(
      'the title on every edge',
      async () => {
        const d = await show(titleId);
        return d.distribution.edges.every((e: EdgeHolding) => e.distributed) ? d : null;
      },
      60_000,
    );
    expect(t.distribution.tier).toBe('hot');
    expect([...t.distribution.placedOn].sort()).toEqual(['edge-a', 'edge-b']);
    for (const e of t.distribution.edges as EdgeHolding[]) {
      expect(e, e.edge).toMatchObject({ heldObjects: t.objects.length, objects: t.objects.length });
    }
    const text = await flix(['titles', 'show', titleId, '--name', name]);
    expect(text.stdout).toMatch(/Distribution: tier hot/);
    expect(text.stdout).toMatch(/edge-b\s+b\s+(\d+)\/\1\s.*distributed/);
  });

  it("serves the title's first play from the edges' caches, with no prewarm", async () => {
    const r = await flix([
      'play',
      titleId,
      '--user',
      viewer,
      '--from-start',
      '--duration',
      '8s',
      '--speed',
      '20',
      '--name',
      name,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expectAllHits(r.json);
    expect(r.json.cache.hits).toBe(r.json.cache.answers);
    for (const e of r.json.rankedEdges) expect(e.reason, e.name).toContain(`holds ${titleId}`);
  });

  it('steers a viewer to an edge that holds the title over its own zone’s edge that lacks it, until a placement refills it', async () => {
    const evicted = await flix([
      'distribute',
      'evict',
      '--title',
      titleId,
      '--zone',
      'a',
      '--name',
      name,
      '--json',
    ]);
    expect(evicted.exitCode, evicted.stderr).toBe(0);
    expect(evicted.json.edges).toEqual([
      { edge: 'edge-a', zone: 'a', objects: (await show(titleId)).objects.length },
    ]);
    // steering answers are reused for a second: the next ones see edge-a without the title
    const steered = await waitFor(
      'a play in zone a steered to edge-b',
      async () => {
        const p = await play('a');
        expect(p.status, p.text).toBe(200);
        return p.json.edges[0].name === 'edge-b' ? p.json.edges : null;
      },
      10_000,
    );
    expect(steered[0].reason).toMatch(new RegExp(`holds ${titleId}; other zone \\(b\\)`));
    expect(steered[1]).toMatchObject({ name: 'edge-a' });
    expect(steered[1].reason).toMatch(new RegExp(`lacks ${titleId}; same zone \\(a\\)`));

    const run = await flix(['distribute', '--now', '--name', name, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json.state).toBe('done');
    const onA = run.json.edges.find((e: { edge: string }) => e.edge === 'edge-a');
    expect(onA.filled.map((f: { titleId: string }) => f.titleId)).toContain(titleId);
    expect(onA.failures).toBe(0);
    expect(run.json.tiers[titleId]).toBe('hot');
    const back = await waitFor(
      'a play in zone a steered to edge-a again',
      async () => {
        const p = await play('a');
        return p.json.edges[0].name === 'edge-a' ? p.json.edges : null;
      },
      10_000,
    );
    expect(back[0].reason).toMatch(new RegExp(`holds ${titleId}; same zone \\(a\\)`));
  });

  it('shows per edge its budget, what it holds and the predicted hit ratio', async () => {
    const r = await flix(['distribute', 'status', '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.edges.map((e: { edge: string }) => e.edge)).toEqual(['edge-a', 'edge-b']);
    for (const e of r.json.edges) {
      expect(e.budgetBytes, e.edge).toBe(200 * 1024 * 1024);
      expect(e.placedTitles, e.edge).toContain(titleId);
      expect(e.heldBytes, e.edge).toBeGreaterThan(0);
      expect(e.heldBytes, e.edge).toBeLessThanOrEqual(e.budgetBytes);
    }
    const text = await flix(['distribute', 'status', '--name', name]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/edge-a\s+a\s+\*\s+\d+\s/);

    expect((await flix(['distribute', '--name', name])).exitCode).toBe(2);
    expect((await flix(['distribute', 'evict', '--title', 'no-such-title', '--name', name])).exitCode).toBe(
      15,
    );
    expect(
      (await flix(['distribute', 'evict', '--title', titleId, '--zone', 'x', '--name', name])).exitCode,
    ).toBe(2);
  });
});
