import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadsBucket } from '../src/lib/engines/credentials.js';
import { flix, repoRoot, sleep, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import { type Component, createUser, originOf, SHARED_CLUSTER, status, unique } from './helpers/cluster.js';
import { type Answer, httpCall, viewerApi } from './helpers/http.js';

/**
 * Viewers' uploads through the ELB, the gateway (the bytes streamed through unbuffered) and the
 * uploads service (tus, parts stored in the origin), on the shared cluster: a file becomes its
 * uploader's title and goes through ingest; a non-video, a taken title, an oversized file and a
 * used-up quota are refused with nothing kept; a private upload is its uploader's alone; an
 * upload cut short by the client and then by killed uploads services resumes from what was stored.
 */
const name = SHARED_CLUSTER;
const users = { alice: unique('up-alice'), bob: unique('up-bob'), carol: unique('up-carol') };
const tokens: Record<keyof typeof users, string> = { alice: '', bob: '', carol: '' };
const word = `u${Math.random()
  .toString(36)
  .replace(/[^a-z]/g, '')
  .slice(0, 6)}`;
let elb = '';
let dir = '';
let clip = '';

const api = (method: string, path: string, who: keyof typeof users, body?: unknown) =>
  viewerApi(elb, method, path, tokens[who], body);
const cli = (args: string[], who: keyof typeof users = 'alice') =>
  flix([...args, '--user', users[who], '--name', name, '--json']);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A raw tus request through the ELB, the gateway's rate limit waited out. */
async function tus(
  method: string,
  path: string,
  who: keyof typeof users,
  headers: Record<string, string> = {},
): Promise<Answer> {
  for (;;) {
    const r = await httpCall(elb, method, path, {
      token: tokens[who],
      headers: { 'tus-resumable': '1.0.0', ...headers },
    });
    if (r.status !== 429 || r.json?.error?.code !== 'rate-limited') return r;
    await sleep(300);
  }
}

/** What the uploads bucket holds of an upload (its object, tus's record of it). */
async function storedObjects(uploadId: string): Promise<string[]> {
  const s3 = await originOf();
  try {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: uploadsBucket, Prefix: uploadId }));
    return (r.Contents ?? []).map((o) => o.Key as string);
  } finally {
    s3.destroy();
  }
}

describe('viewer uploads through the public API', () => {
  beforeAll(async () => {
    const components = await status();
    elb = (components.find((c) => c.name === 'elb-1') as Component).endpoint;
    for (const who of Object.keys(users) as Array<keyof typeof users>)
      tokens[who] = await createUser(users[who]);
    dir = await mkdtemp(join(tmpdir(), 'flix-uploads-'));
    clip = join(dir, 'Ferien am Meer.mp4');
    synthClip(clip, {
      size: '320x180',
      seconds: 2,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    });
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("makes the file its uploader's title, ingested and playable, any Unicode in its name", async () => {
    const title = `Ferien am Meer 🌊 東京 ${word}`;
    const r = await cli(['upload', clip, '--title', title, '--genres', 'travel', '--year', '2026', '--wait']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ bytes: (await stat(clip)).size, resumedFrom: 0 });
    expect(r.json.final).toMatchObject({
      state: 'accepted',
      titleStatus: 'ready',
      title,
      visibility: 'public',
    });
    const t = await api('GET', `/api/titles/${r.json.titleId}`, 'bob');
    expect([t.status, t.json.title, t.json.owner, t.json.genres]).toEqual([
      200,
      title,
      expect.any(String),
      ['travel'],
    ]);
    // what the upload was made of is gone from the uploads bucket: it lives on as the original
    expect(await storedObjects(r.json.uploadId)).toEqual([]);
    const list = await cli(['upload', 'list']);
    expect(list.json.uploads[0]).toMatchObject({ id: r.json.uploadId, titleId: r.json.titleId });
    expect(list.json.quota.used.count).toBeGreaterThanOrEqual(1);
  });

  it('refuses a non-video, a taken title, an oversized file, bad details and a used-up quota, keeping nothing', async () => {
    const text = join(dir, 'notes.mov');
    await writeFile(text, 'these are my holiday notes, not a film\n'.repeat(50));
    const notVideo = await cli(['upload', text]);
    expect([notVideo.exitCode, notVideo.json.details]).toEqual([
      12,
      expect.stringMatching(/^422 upload-not-video/),
    ]);
    const refused = (await cli(['upload', 'list'])).json.uploads.find(
      (u: { title: string }) => u.title === 'notes',
    );
    expect(refused).toMatchObject({ state: 'refused', titleId: null });
    expect(await storedObjects(refused.id)).toEqual([]);

    // the first test's title is taken: refused at creation, before a byte is sent
    const taken = await cli(['upload', clip, '--title', `ferien am meer 🌊 東京 ${word}`]);
    expect([taken.exitCode, taken.json.details]).toEqual([13, expect.stringMatching(/^409 title-exists/)]);

    const tooBig = await tus('POST', '/api/uploads', 'carol', {
      'upload-length': String(201 * 1024 * 1024),
      'upload-metadata': `filename ${b64('huge.mov')}`,
    });
    expect([tooBig.status, tooBig.json?.error?.code]).toEqual([413, 'upload-too-large']);
    const badVisibility = await tus('POST', '/api/uploads', 'carol', {
      'upload-length': '1000',
      'upload-metadata': `filename ${b64('a.mov')},visibility ${b64('everyone')}`,
    });
    expect([badVisibility.status, badVisibility.json?.error?.code]).toEqual([400, 'invalid-metadata']);
    const noToken = await httpCall(elb, 'POST', '/api/uploads', {
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' },
    });
    expect(noToken.status).toBe(401);

    // carol's day: 8 uploads started (ci.yaml), the ninth refused
    const started: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await tus('POST', '/api/uploads', 'carol', {
        'upload-length': '1000',
        'upload-metadata': `filename ${b64(`clip ${i}.mp4`)},title ${b64(`Carol ${i} ${word}`)}`,
      });
      expect(r.status, r.text).toBe(201);
      started.push(String(r.headers.location));
    }
    expect(started[0]).toMatch(/^\/api\/uploads\/[0-9a-f]+$/);
    const ninth = await tus('POST', '/api/uploads', 'carol', {
      'upload-length': '1000',
      'upload-metadata': `filename ${b64('clip 9.mp4')}`,
    });
    expect([ninth.status, ninth.json?.error?.code]).toEqual([429, 'upload-quota']);
    // an upload carol gives up on is hers to end, no one else's
    expect((await tus('DELETE', started[0] as string, 'bob')).status).toBe(404);
    expect((await tus('DELETE', started[0] as string, 'carol')).status).toBe(204);
    const ended = await api('GET', started[0] as string, 'carol');
    expect(ended.json.state).toBe('cancelled');
  });

  it('keeps a private upload from everyone but its uploader, and lets only the uploader delete', async () => {
    const title = `Private Diary ${word}`;
    const r = await cli(['upload', clip, '--title', title, '--visibility', 'private', '--wait']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = r.json.titleId as string;
    expect((await api('GET', `/api/titles/${id}`, 'alice')).status).toBe(200);
    expect((await api('GET', `/api/titles/${id}`, 'bob')).status).toBe(404);
    expect((await cli(['play', id, '--duration', '1'], 'bob')).exitCode).toBe(15);
    const search = (who: keyof typeof users) =>
      waitFor(
        `${who}'s search to be answered`,
        async () => {
          const s = await api('GET', `/api/search?q=${encodeURIComponent(`diary ${word}`)}`, who);
          return s.status === 200 ? s.json.hits.map((h: { id: string }) => h.id) : null;
        },
        20_000,
      );
    await waitFor(
      'the private upload to be indexed',
      async () => (await search('alice')).includes(id),
      20_000,
    );
    expect(await search('bob')).toEqual([]);

    const publicOne = (await cli(['upload', 'list'])).json.uploads.find((u: { title: string }) =>
      u.title.startsWith('Ferien am Meer'),
    );
    const notYours = await api('DELETE', `/api/titles/${publicOne.titleId}`, 'bob');
    expect([notYours.status, notYours.json.error.code]).toEqual([403, 'not-yours']);
    expect((await api('DELETE', `/api/titles/${id}`, 'bob')).status).toBe(404);
    expect((await tus('HEAD', `/api/uploads/${r.json.uploadId}`, 'bob')).status).toBe(404);
    const gone = await cli(['upload', 'delete', id]);
    expect([gone.exitCode, gone.json.deleted]).toEqual([0, true]);
    expect((await api('GET', `/api/titles/${id}`, 'alice')).status).toBe(404);
  });

  it('resumes an upload cut short by the client, then by killed uploads services, from what was stored', async () => {
    // lossless video of noise: big enough (about 90 MiB) that the upload is still going when it is cut
    const big = join(dir, 'noisy take.mp4');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=10'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=10', '-vf', 'noise=alls=30:allf=t'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
      ...['-shortest', big],
    ]);
    const size = (await stat(big)).size;
    const args = [
      'upload',
      big,
      '--title',
      `Noisy Take ${word}`,
      // one request a part: what the service has stored is always whole parts (a request cut in
      // the middle of a smaller chunk may lose the tail the store keeps outside its parts)
      '--chunk-mib',
      '8',
      '--user',
      users.alice,
      '--name',
      name,
      '--json',
    ];
    const start = () =>
      execa(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], {
        reject: false,
        env: { CI: '1' },
      });
    const resumeFile = join(homedir(), '.flix', 'clusters', name, 'viewer-uploads.json');
    const uploadUrl = () =>
      waitFor(
        'the upload to be created',
        async () => {
          const items = JSON.parse(await readFile(resumeFile, 'utf8').catch(() => '{}'));
          return (Object.values(items) as Array<{ uploadUrl: string; fingerprint: string }>).find((u) =>
            u.fingerprint.includes(big),
          )?.uploadUrl;
        },
        30_000,
      );
    const storedOffset = async (url: string) =>
      Number((await tus('HEAD', new URL(url).pathname, 'alice')).headers['upload-offset'] ?? 0);

    const first = start();
    const url = await uploadUrl();
    await waitFor('8 MiB stored', async () => (await storedOffset(url)) >= 8 * 1024 * 1024, 60_000);
    first.kill('SIGKILL');
    await first;
    const kept = await storedOffset(url);
    expect(kept).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(kept).toBeLessThan(size);

    const second = start();
    await waitFor(
      '16 MiB more stored',
      async () => (await storedOffset(url)) >= kept + 16 * 1024 * 1024,
      60_000,
    );
    const uploaders = (await status()).filter((c) => c.name.startsWith('uploads-'));
    expect(uploaders).toHaveLength(2);
    for (const c of uploaders) process.kill(c.pid as number, 'SIGKILL');
    const done = await second;
    expect(done.exitCode, `${done.stdout}${done.stderr}`).toBe(0);
    const outcome = JSON.parse(done.stdout);
    expect(outcome.bytes).toBe(size);
    expect(outcome.resumedFrom).toBeGreaterThanOrEqual(kept);
    expect(new URL(url).pathname).toBe(`/api/uploads/${outcome.uploadId}`);

    // the file as it was stored, whole: ingested to the end of its ten seconds
    const title = await waitFor(
      'the resumed upload to be ready',
      async () => {
        const t = await api('GET', `/api/titles/${outcome.titleId}`, 'alice');
        return t.status === 200 ? t.json : null;
      },
      180_000,
    );
    expect(title.durationSeconds).toBeCloseTo(10, 0);
    await waitFor(
      'the uploads services to be back',
      async () => {
        const s = (await status()).filter((c) => c.name.startsWith('uploads-'));
        return s.every((c) => c.state === 'healthy' && !uploaders.some((u) => u.pid === c.pid));
      },
      60_000,
    );
  }, 360_000);
});
