import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originBucket } from '../src/lib/engines/credentials.js';
import { flix, repoRoot, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import { type Component, originOf, SHARED_CLUSTER, status, unique } from './helpers/cluster.js';

/**
 * An engine restart delays a title, never fails it: the origin or MySQL killed in the middle of
 * an ingest (the supervisor brings it back in seconds) and the title still comes out ready, with
 * nothing left under work/. A title that does fail (its original went missing) keeps nothing of
 * its ingest and, once the cause is mended, `flix titles retry` takes it on from where it failed.
 */
const name = SHARED_CLUSTER;
const scratch = mkdtempSync(join(tmpdir(), 'flix-outage-test-'));
const clip = join(scratch, 'outage 16s.mp4');

async function show(id: string) {
  return (await flix(['titles', 'show', id, '--name', name, '--json'])).json;
}

async function component(n: string): Promise<Component> {
  return (await status()).find((c) => c.name === n) as Component;
}

/** The origin's objects under a prefix with their ETags (a single-part object's ETag is its MD5). */
async function originObjects(prefix: string): Promise<Map<string, string>> {
  const s3 = await originOf();
  try {
    const out = new Map<string, string>();
    let token: string | undefined;
    do {
      const r = await s3.send(
        new ListObjectsV2Command({ Bucket: originBucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) out.set(o.Key as string, (o.ETag ?? '').replaceAll('"', ''));
      token = r.NextContinuationToken;
    } while (token);
    return out;
  } finally {
    s3.destroy();
  }
}

/** Kills an engine and waits until the supervisor has it healthy again. */
async function killAndAwaitRestart(n: string): Promise<void> {
  const before = await component(n);
  process.kill(before.pid, 'SIGKILL');
  await waitFor(
    `${n} to be restarted and healthy`,
    async () => {
      const c = await component(n);
      return c.restarts > before.restarts && c.state === 'healthy';
    },
    120_000,
  );
}

/** A ready title's published objects are all in the origin with the MD5 the catalog recorded. */
async function expectIntact(id: string) {
  const t = await show(id);
  expect(t.status).toBe('ready');
  const stored = await originObjects(`titles/${id}/`);
  expect(t.objects.length).toBeGreaterThan(0);
  for (const o of t.objects as Array<{ key: string; md5: string }>)
    expect(stored.get(o.key), o.key).toBe(o.md5);
  expect([...(await originObjects(`work/${id}/`)).keys()]).toEqual([]);
}

describe('ingest rides out engine restarts', () => {
  beforeAll(() => {
    // 16 s at 426×240: enough encodes that a kill lands in the middle of them
    synthClip(clip, {
      size: '426x240',
      seconds: 16,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    });
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('publishes a title intact although the origin is killed while it is encoded or packaged', async () => {
    const r = await flix(['ingest', clip, '--title', unique('Origin Restart'), '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = r.json.id;
    // the encodes of a 16 s clip take a few seconds: whichever of the two stages a poll sees,
    // both read and write the origin
    await waitFor(
      'the job to reach encode or package',
      async () => ['encode', 'package'].includes((await show(id)).stage),
      60_000,
    );
    await killAndAwaitRestart('origin');
    await waitFor(
      'the title to be ready',
      async () => {
        const t = await show(id);
        expect(t.status, t.error).not.toBe('failed');
        return t.status === 'ready';
      },
      240_000,
    );
    await expectIntact(id);
  }, 400_000);

  it('`flix ingest --wait` waits out a MySQL restart and exits 0 when the title is ready', async () => {
    const title = unique('MySQL Restart');
    const child = execa(
      process.execPath,
      [join(repoRoot, 'bin', 'run.js'), 'ingest', clip, '--title', title, '--wait', '--json', '--name', name],
      { reject: false, env: { ...process.env, CI: '1' } },
    );
    try {
      // kill MySQL once the job is under way (the CLI is polling the catalog by then)
      const id = await waitFor(
        'the job to be under way',
        async () => {
          const t = await show(title);
          return t && ['plan', 'queue', 'encode'].includes(t.stage) ? (t.id as string) : null;
        },
        60_000,
      );
      await killAndAwaitRestart('mysql');
      const r = await child;
      // with --json an error goes to stdout
      expect(r.exitCode, `${r.stderr}\n${r.stdout}`).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id, status: 'ready' });
      expect(r.stderr).toContain('waiting for the catalog');
      await expectIntact(id);
    } finally {
      child.kill('SIGKILL');
    }
  }, 400_000);

  it('a title whose original went missing fails, keeps nothing of its ingest, and is retried once mended', async () => {
    // the orchestrator held still while the original is taken away after the upload
    const orchestrator = await component('orchestrator-1');
    process.kill(-orchestrator.pid, 'SIGSTOP');
    let id = '';
    let sourceKey = '';
    try {
      const r = await flix(['ingest', clip, '--title', unique('Retried'), '--name', name, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      id = r.json.id;
      sourceKey = (await show(id)).source.key;
      const s3 = await originOf();
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: originBucket, Key: sourceKey }));
      } finally {
        s3.destroy();
      }
    } finally {
      process.kill(-orchestrator.pid, 'SIGCONT');
    }
    const failed = await waitFor(
      'the title to fail',
      async () => {
        const t = await show(id);
        return t.status === 'failed' ? t : null;
      },
      120_000,
    );
    expect(failed.failedStage).toBe('probe');
    expect([...(await originObjects(`work/${id}/`)).keys()]).toEqual([]);
    expect([...(await originObjects(`titles/${id}/`)).keys()]).toEqual([]);
    // --resume is for an upload that did not finish; a failed title is retried
    const resume = await flix(['ingest', '--resume', id, '--name', name]);
    expect(resume.exitCode).toBe(14);
    expect(resume.stderr).toContain(`flix titles retry ${id}`);
    // the original put back, the retry takes the title on from the probe
    const s3 = await originOf();
    try {
      await s3.send(new PutObjectCommand({ Bucket: originBucket, Key: sourceKey, Body: readFileSync(clip) }));
    } finally {
      s3.destroy();
    }
    const retried = await flix(['titles', 'retry', id, '--wait', '--name', name, '--json']);
    expect(retried.exitCode, retried.stderr).toBe(0);
    expect(retried.json).toMatchObject({ id, stage: 'probe', status: 'ready' });
    await expectIntact(id);
    // a ready title is not retried
    const again = await flix(['titles', 'retry', id, '--name', name]);
    expect(again.exitCode).toBe(13);
    expect(again.stderr).toContain('only a failed title is retried');
  }, 400_000);
});
