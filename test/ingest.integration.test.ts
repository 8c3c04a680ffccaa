import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSecrets } from '../src/lib/cluster/secrets.js';
import { originBucket } from '../src/lib/engines/credentials.js';
import { signedTitleUrl, signTitlePrefix } from '../src/lib/engines/edge/signing.js';
import { listKeys } from '../src/lib/engines/origin/objects.js';
import { filesInMpd } from '../src/lib/media/manifests/dash.js';
import { filesInHlsPlaylist, resolveRef } from '../src/lib/media/manifests/hls.js';
import { flix, repoRoot, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import { type Component, operatorHeaders, originOf, SHARED_CLUSTER, status } from './helpers/cluster.js';

/**
 * Ingest end to end on the shared CI cluster: a clip becomes a title any HLS or DASH player can stream
 * through an edge; a killed worker or a restarted orchestrator does not stop it; bad input is
 * refused and leaves nothing behind.
 */
const name = SHARED_CLUSTER;
const media = join(repoRoot, 'fixtures', 'media');
const fixture = (f: string) => join(media, f);
let components: Component[] = [];
const endpoint = (n: string) => components.find((c) => c.name === n)?.endpoint as string;

async function show(id: string) {
  return (await flix(['titles', 'show', id, '--name', name, '--json'])).json;
}

async function originKeys(prefix: string): Promise<string[]> {
  const s3 = await originOf();
  try {
    return await listKeys(s3, prefix);
  } finally {
    s3.destroy();
  }
}

/** A signed URL of a published object on an edge, valid for an hour (docs/control-plane.md). */
async function signed(edge: string, key: string, expiresAt = Math.floor(Date.now() / 1000) + 3600) {
  return signedTitleUrl(edge, key, { secret: (await clusterSecrets(name)).edgeSigningKey, expiresAt });
}

const scratch = mkdtempSync(join(tmpdir(), 'flix-ingest-test-'));
/** long enough that there are many chunk encodes to interrupt */
const longClip = join(scratch, 'long 24s.mp4');
const bigClip = join(scratch, 'big raw.mkv');

describe('ingest on the CI cluster', () => {
  beforeAll(async () => {
    synthClip(longClip, {
      size: '426x240',
      seconds: 24,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    });
    components = await status();
  });

  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
  });

  let readyId = '';

  it('publishes a clip that plays over HLS and DASH through an edge', async () => {
    const r = await flix([
      'ingest',
      fixture('good.mp4'),
      '--title',
      'Big Day',
      '--genres',
      'drama,travel',
      '--year',
      '2024',
      '--regions',
      'US,DE',
      '--wait',
      '--name',
      name,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.status).toBe('ready');
    readyId = r.json.id;
    const t = await show(readyId);
    expect(t).toMatchObject({
      title: 'Big Day',
      year: 2024,
      genres: ['drama', 'travel'],
      regions: ['US', 'DE'],
      status: 'ready',
    });
    // never above the source's 180 lines
    expect(t.ladder.video.map((v: { height: number }) => v.height).every((h: number) => h <= 360)).toBe(true);
    expect(t.segmentCount).toBeGreaterThan(0);
    for (const stage of ['probe', 'plan', 'queue', 'encode', 'package', 'validate', 'publish']) {
      expect(typeof t.stageTimes[stage], stage).toBe('number');
    }

    // HLS through the edge with the signed URL `titles show` prints, read by ffprobe as a player would:
    // the playlists' relative URLs stay under the signed title prefix
    const edge = endpoint('edge-a');
    const master = t.manifests.hlsUrl as string;
    expect(master).toBe(await signed(edge, t.manifests.hls, Number(master.split('/')[4])));
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', master], {
        encoding: 'utf8',
      }),
    );
    expect(probe.streams.some((s: { codec_type: string }) => s.codec_type === 'video')).toBe(true);
    expect(probe.streams.some((s: { codec_type: string }) => s.codec_type === 'audio')).toBe(true);
    expect(Number(probe.format.duration)).toBeGreaterThan(5);

    // DASH: every segment the MPD names is served by the edge
    const mpdKey = t.manifests.dash as string;
    const mpd = await (await fetch(t.manifests.dashUrl)).text();
    const refs = filesInMpd(mpd).map((r) => resolveRef(mpdKey, r));
    expect(refs.length).toBeGreaterThan(2);
    for (const key of refs) {
      const res = await fetch(await signed(edge, key));
      expect(res.status, key).toBe(200);
      expect((await res.arrayBuffer()).byteLength, key).toBeGreaterThan(0);
    }
    // HLS and DASH share one set of segments
    const masterText = await (await fetch(master)).text();
    const playlist = resolveRef(t.manifests.hls, filesInHlsPlaylist(masterText)[0] as string);
    const playlistText = await (await fetch(await signed(edge, playlist))).text();
    const hlsSegments = filesInHlsPlaylist(playlistText).map((r) => resolveRef(playlist, r));
    expect(hlsSegments.every((s) => refs.includes(s))).toBe(true);

    // the original is kept after publishing; the intermediate encodes are not
    expect(await originKeys(`originals/${readyId}/`)).toHaveLength(1);
    expect(await originKeys(`work/${readyId}/`)).toHaveLength(0);
  });

  it('publishes unusual but valid sources: silent, odd size, vertical, VFR, 10-bit, a non-ASCII file name', async () => {
    const cases: Array<
      [string, (t: { ladder: { video: Array<{ width: number; height: number }>; audio: unknown } }) => void]
    > = [
      ['silent.mp4', (t) => expect(t.ladder.audio).toBeNull()],
      [
        'odd-1917x1079.mp4',
        (t) => expect(t.ladder.video.every((v) => v.width % 2 === 0 && v.height % 2 === 0)).toBe(true),
      ],
      ['vertical-1080x1920.mp4', (t) => expect(t.ladder.video.every((v) => v.height > v.width)).toBe(true)],
      ['vfr.mp4', (t) => expect(t.ladder.video.length).toBeGreaterThan(0)],
      ['tenbit.mp4', (t) => expect(t.ladder.video.length).toBeGreaterThan(0)],
      ['Big Trip — café.mov', (t) => expect(t.ladder.video.length).toBeGreaterThan(0)],
    ];
    // one after another: side by side they took longer (85 s against 75 s), the machine being
    // busy with six validations and CLI start-ups at once
    for (const [file, check] of cases) {
      const r = await flix([
        'ingest',
        fixture(file),
        '--title',
        `valid ${file}`,
        '--wait',
        '--name',
        name,
        '--json',
      ]);
      expect(r.exitCode, `${file}: ${r.stderr}`).toBe(0);
      const t = await show(r.json.id);
      expect(t.status, file).toBe('ready');
      check(t);
    }
  }, 360_000);

  it('edges serve a title only through signed URLs: MISS then HIT, 403 for a bad, moved, expired or missing signature', async () => {
    const t = await show(readyId);
    // another published title (the previous test made several)
    const other = (await flix(['titles', 'list', '--name', name, '--json'])).json.titles.find(
      (x: { id: string; status: string }) => x.id !== readyId && x.status === 'ready',
    )?.id as string;
    expect(other, 'a second ready title').toBeTruthy();
    const otherKey = ((await show(other)).manifests.dash as string).slice(`titles/${other}/`.length);
    const { edgeSigningKey: secret } = await clusterSecrets(name);
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    // the distribution service put the title on every edge when it was published: taken off
    // edge-b (after any fill still under way), edge-b holds nothing of it
    const evicted = await flix([
      'distribute',
      'evict',
      '--title',
      readyId,
      '--zone',
      'b',
      '--name',
      name,
      '--json',
    ]);
    expect(evicted.exitCode, evicted.stderr).toBe(0);
    expect(evicted.json.edges).toEqual([{ edge: 'edge-b', zone: 'b', objects: t.objects.length }]);
    const edge = endpoint('edge-b');
    const url = await signed(edge, t.manifests.dash, expiresAt);
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache-status')).toBe('MISS');
    expect(first.headers.get('x-edge-zone')).toBe('b');
    const body = await first.text();
    expect(body).toContain('<MPD');
    // another viewer's link (another expiry, so another token) shares the cached copy
    const second = await fetch(await signed(edge, t.manifests.dash, expiresAt + 1));
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(await second.text()).toBe(body);

    const forbidden = async (u: string, message: RegExp) => {
      const res = await fetch(u);
      expect(res.status, u).toBe(403);
      expect(res.headers.get('content-type'), u).toContain('application/json');
      const answer = await res.json();
      expect(answer.error, u).toMatchObject({ status: 403, code: 'forbidden' });
      expect(answer.error.message, u).toMatch(message);
    };
    const token = url.split('/')[6] as string;
    const flipped = `${token.slice(0, 3)}${token[3] === 'A' ? 'B' : 'A'}${token.slice(4)}`;
    await forbidden(url.replace(`/${token}/`, `/${flipped}/`), /signature/);
    // this title's token on another title's path, and on another title's file; that file's own link works
    expect((await fetch(signTitlePrefix(edge, other, { secret, expiresAt }) + otherKey)).status).toBe(200);
    const mine = signTitlePrefix(edge, readyId, { secret, expiresAt });
    await forbidden(mine.replace(`/titles/${readyId}/`, `/titles/${other}/`) + otherKey, /signature/);
    await forbidden(`${mine}../${other}/${otherKey}`, /signature/);
    // a longer life than signed for
    await forbidden(url.replace(`/v/${expiresAt}/`, `/v/${expiresAt + 3600}/`), /signature/);
    // expired: a correct token whose time has passed
    await forbidden(await signed(edge, t.manifests.dash, Math.floor(Date.now() / 1000) - 60), /expired/);
    // the bucket path the edges used to serve, and any other path
    await forbidden(`${edge}/${originBucket}/${t.manifests.dash}`, /only signed/);
    await forbidden(`${edge}/${t.manifests.dash}`, /only signed/);
    // writes are refused even with a valid link
    const put = await fetch(url, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(403);

    // stub_status for steering
    const status = await fetch(`${edge}/_status`);
    expect(status.status).toBe(200);
    expect(await status.text()).toMatch(/^Active connections: \d+/);
  });

  it('prewarms a title on every edge: what an edge lacks from the origin, then a hit ratio of 1; a second run moves nothing', async () => {
    const r = await flix(['prewarm', '--title', readyId, '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/on edge-a: verifying \d+\/\d+ objects/);
    const t = r.json.titles[0];
    expect(t.id).toBe(readyId);
    expect(t.edges.map((e: { edge: string }) => e.edge)).toEqual(['edge-a', 'edge-b']);
    expect(r.json.fromOriginBytes).toBeGreaterThan(0);
    for (const e of t.edges) {
      expect(e.objects, e.edge).toBe(t.objects);
      expect(e.failures, e.edge).toEqual([]);
      expect(e.fromOrigin.objects + e.alreadyCached.objects, e.edge).toBe(t.objects);
      expect(e.fromOrigin.bytes + e.alreadyCached.bytes, e.edge).toBe(t.bytes);
      expect(e.verify, e.edge).toEqual({ objects: t.objects, hits: t.objects, hitRatio: 1 });
    }
    // edge-a holds what the distribution service filled; edge-b had served only the MPD since
    // the title was evicted from it
    // (its manifests, stored for 60 s, may have expired and come again from the origin)
    const manifests = (await show(readyId)).objects.filter(
      (x: { kind: string }) => x.kind === 'manifest',
    ).length;
    const a = t.edges.find((e: { edge: string }) => e.edge === 'edge-a');
    expect(a.fromOrigin.objects).toBeLessThanOrEqual(manifests);
    expect(a.alreadyCached.objects).toBeGreaterThanOrEqual(t.objects - manifests);
    const b = t.edges.find((e: { edge: string }) => e.edge === 'edge-b');
    expect(b.alreadyCached.objects).toBe(1);
    expect(b.fromOrigin.objects).toBe(t.objects - 1);

    const again = await flix(['prewarm', '--title', 'Big Day', '--zone', 'b', '--name', name, '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json.fromOriginBytes).toBe(0);
    expect(again.json.titles[0].edges).toHaveLength(1);
    expect(again.json.titles[0].edges[0]).toMatchObject({
      edge: 'edge-b',
      fromOrigin: { objects: 0, bytes: 0 },
      alreadyCached: { objects: t.objects, bytes: t.bytes },
      verify: { hitRatio: 1 },
    });

    const unknown = await flix(['prewarm', '--title', 'no-such-title', '--name', name]);
    expect(unknown.exitCode).toBe(15);
    expect((await flix(['prewarm', '--title', readyId, '--zone', 'x', '--name', name])).exitCode).toBe(2);
    expect((await flix(['prewarm', '--title', readyId, '--name', 'no-such-cluster'])).exitCode).toBe(7);
  });

  it('ignores a duplicated task result: the first result of a task wins', async () => {
    const before = await show(readyId);
    const task = before.tasks.find((x: { id: string }) => x.id !== 'audio');
    const kafka = new Kafka({ clientId: 'itest', brokers: [endpoint('kafka')], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'transcode.results',
      acks: -1,
      messages: [
        {
          key: readyId,
          value: JSON.stringify({
            titleId: readyId,
            taskId: task.id,
            objectKey: `work/${readyId}/duplicate.mp4`,
            md5: '0'.repeat(32),
            bytes: 1,
            worker: 'a-late-duplicate',
            encodeSeconds: 1,
          }),
        },
      ],
    });
    await producer.disconnect();
    const after = await waitFor(
      'the duplicate to be seen',
      async () => {
        const t = await show(readyId);
        const x = t.tasks.find((y: { id: string }) => y.id === task.id);
        return x.deliveries > task.deliveries ? { t, x } : null;
      },
      30_000,
    );
    expect(after.x.md5).toBe(task.md5);
    expect(after.x.worker).toBe(task.worker);
    expect(after.t.status).toBe('ready');
    expect(after.t.objects).toEqual(before.objects);
  });

  it('refuses the same title again', async () => {
    const r = await flix(['ingest', fixture('good.mp4'), '--title', 'big  DAY', '--name', name]);
    expect(r.exitCode).toBe(13);
    expect(r.stderr).toContain('a title named "Big Day" already exists');
  });

  it('refuses bad input with a clear message and leaves no title and no object', async () => {
    const before = await originKeys('');
    const cases: Array<[string, RegExp]> = [
      ['empty.mp4', /is empty \(0 bytes\)/],
      ['text.mov', /is not a video file/],
      ['image.png', /is a still image/],
      ['truncated.mp4', /damaged or cut off/],
      ['audio-only.m4a', /has sound but no picture/],
      ['short.mp4', /titles must last at least 1 s/],
    ];
    for (const [file, message] of cases) {
      expect(existsSync(fixture(file)), file).toBe(true);
      const r = await flix(['ingest', fixture(file), '--title', `bad ${file}`, '--name', name]);
      expect(r.exitCode, `${file}: ${r.stderr}`).toBe(12);
      expect(r.stderr, file).toMatch(message);
    }
    const titles = (await flix(['titles', 'list', '--name', name, '--json'])).json.titles;
    expect(titles.filter((x: { title: string }) => x.title.startsWith('bad '))).toEqual([]);
    expect(await originKeys('')).toEqual(before);
  });

  it('resumes an upload that was killed part-way, keeping the parts already stored', async () => {
    // raw video: ~120 MB, 15 parts of 8 MiB, so the upload is still running when it is killed
    synthClip(bigClip, {
      size: '640x360',
      seconds: 12,
      codecs: ['-c:v', 'rawvideo', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_s16le'],
    });
    const child = execa(
      process.execPath,
      [join(repoRoot, 'bin', 'run.js'), 'ingest', bigClip, '--title', 'Killed Upload', '--name', name],
      {
        reject: false,
        env: { ...process.env, CI: '1' },
      },
    );
    let id = '';
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        const m = String(chunk).match(/upload (\S+): \d+% .*\(part 1\/(\d+)/);
        if (m && !id) {
          id = m[1] as string;
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');
    expect((await show(id)).status).toBe('uploading');

    const r = await flix(['ingest', '--resume', id, '--wait', '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.status).toBe('ready');
    expect(r.json.upload.parts).toBe(15);
    expect(r.json.upload.resumedParts).toBeGreaterThanOrEqual(1);
    expect(r.json.upload.resumedParts).toBeLessThan(15);
  });

  it('publishes although a worker is killed in the middle of a task', async () => {
    const r = await flix(['ingest', longClip, '--title', 'Worker Crash', '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = r.json.id;
    // wait until a worker is busy with a task of this title, then kill it
    const victim = await waitFor(
      'a transcoder busy with a task',
      async () => {
        for (const c of (await status()).filter((x) => x.name.startsWith('transcoder-'))) {
          const s = await (await fetch(`${c.endpoint}/status`, { headers: await operatorHeaders() })).json();
          if (s.status?.current?.startsWith(id)) return c;
        }
        return null;
      },
      60_000,
    );
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('the title to be ready', async () => (await show(id)).status === 'ready', 180_000);
    const restarted = (await status()).find((c) => c.name === victim.name) as Component;
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);
  });

  it('resumes after the orchestrator is restarted in the middle of an ingest', async () => {
    const r = await flix(['ingest', longClip, '--title', 'Orchestrator Restart', '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = r.json.id;
    await waitFor(
      'the job to reach encode',
      async () => ['encode', 'package'].includes((await show(id)).stage),
      60_000,
    );
    const orch = (await status()).find((c) => c.name === 'orchestrator-1') as Component;
    process.kill(orch.pid, 'SIGKILL');
    await waitFor('the title to be ready', async () => (await show(id)).status === 'ready', 180_000);
    const after = (await status()).find((c) => c.name === 'orchestrator-1') as Component;
    expect(after.restarts).toBe(orch.restarts + 1);
  });

  it('deletes a title and everything of it in the origin', async () => {
    const r = await flix(['titles', 'delete', readyId, '--name', name, '--json']);
    expect(r.exitCode).toBe(0);
    expect(await originKeys(`titles/${readyId}/`)).toEqual([]);
    expect(await originKeys(`originals/${readyId}/`)).toEqual([]);
    expect((await flix(['titles', 'show', readyId, '--name', name])).exitCode).toBe(15);
  });
});
