import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import type { ComponentPlan } from '../../cluster/components.js';
import { clusterSecrets } from '../../cluster/secrets.js';
import { findBinary } from '../binaries.js';
import { logsBucket, originBucket, uploadsBucket } from '../credentials.js';
import type { EngineContext, EngineDriver } from '../driver.js';
import { javaBinary, smallServerFlags } from '../java.js';
import { renderTemplateFile } from '../template.js';
import { mavenEngineHome } from '../versions.js';
import { originClient } from './client.js';

const tempSuffix = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A kill in the middle of an upload leaves s3proxy's temp file `<key>-<uuid>` without the
 * user.user.content-md5 attribute that every stored object has; s3proxy then fails every listing
 * of that bucket. Such a file never became an object, so it is removed before a (re)start.
 */
export async function removeUnfinishedUploads(dir: string): Promise<string[]> {
  const getfattr = findBinary('getfattr');
  if (!getfattr) return [];
  const removed: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && tempSuffix.test(e.name)) {
        const r = await execa(getfattr, ['--only-values', '-n', 'user.user.content-md5', p], {
          reject: false,
        });
        if (r.exitCode !== 0) {
          await rm(p, { force: true });
          removed.push(p);
        }
      }
    }
  };
  await walk(dir);
  return removed;
}

/**
 * s3proxy's filesystem store keeps an object's public-read ACL as the file's read bit for others;
 * objects are private now (viewers reach them only through the edges, which sign their requests),
 * so what an older flix stored public-read is made private before a start. Returns how many.
 */
export async function closePublicObjects(dir: string): Promise<number> {
  let n = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const mode = (await stat(p)).mode & 0o7777;
        if (mode & 0o004) {
          await chmod(p, mode & ~0o004);
          n++;
        }
      }
    }
  };
  await walk(dir);
  return n;
}

/** s3proxy on the filesystem: the S3-compatible origin holding originals, encodes and packages. */
export const originDriver: EngineDriver = {
  async prepare(c, ctx) {
    const buckets = join(c.dataDir, 'buckets');
    await mkdir(buckets, { recursive: true });
    for (const p of await removeUnfinishedUploads(buckets)) {
      process.stdout.write(`origin: removed the remains of an interrupted upload: ${p}\n`);
    }
    const made = await closePublicObjects(buckets);
    if (made > 0)
      process.stdout.write(`origin: ${made} object(s) stored public-read by an older flix made private\n`);
    const secrets = await clusterSecrets(ctx.clusterName);
    await renderTemplateFile(
      's3proxy/s3proxy.properties',
      join(c.confDir, 's3proxy.properties'),
      {
        port: c.ports.http as number,
        dataDir: buckets,
        accessKey: secrets.originAccessKey,
        secretKey: secrets.originSecretKey,
      },
      { secret: true },
    );
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    return {
      file: javaBinary(),
      args: [
        ...smallServerFlags(c.settings.heap as string),
        '-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener',
        '-jar',
        join(mavenEngineHome(ctx.enginesDir, 's3proxy'), 's3proxy.jar'),
        '--properties',
        join(c.confDir, 's3proxy.properties'),
      ],
    };
  },

  /** Ready when the origin answers S3 and holds its buckets (created on first start). */
  async probe(c, ctx) {
    const s3 = originClient(c.endpoint, await clusterSecrets(ctx.clusterName));
    try {
      for (const Bucket of [originBucket, uploadsBucket, logsBucket]) {
        try {
          await s3.send(new HeadBucketCommand({ Bucket }));
        } catch (e) {
          if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
          await s3.send(new CreateBucketCommand({ Bucket }));
        }
      }
    } finally {
      s3.destroy();
    }
  },
};
