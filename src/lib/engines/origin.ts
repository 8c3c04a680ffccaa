import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { ComponentPlan } from '../cluster/components.js';
import { originBucket, originCredentials } from './credentials.js';
import type { EngineContext, EngineDriver } from './driver.js';
import { heapFlags, javaBinary } from './java.js';
import { renderTemplateFile } from './template.js';
import { mavenEngineHome } from './versions.js';

/** An S3 client for a cluster's origin (path-style, the local credentials). */
export function originClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: originCredentials.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: originCredentials.accessKeyId,
      secretAccessKey: originCredentials.secretAccessKey,
    },
    maxAttempts: 1,
  });
}

/** s3proxy on the filesystem: the S3-compatible origin holding originals, encodes and packages. */
export const originDriver: EngineDriver = {
  async prepare(c) {
    await mkdir(join(c.dataDir, 'buckets'), { recursive: true });
    await renderTemplateFile('s3proxy/s3proxy.properties', join(c.confDir, 's3proxy.properties'), {
      port: c.ports.http as number,
      dataDir: join(c.dataDir, 'buckets'),
      accessKey: originCredentials.accessKeyId,
      secretKey: originCredentials.secretAccessKey,
    });
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    return {
      file: javaBinary(),
      args: [
        ...heapFlags(c.settings.heap as string),
        '-XX:+UseSerialGC',
        '-XX:+ExitOnOutOfMemoryError',
        '-jar',
        join(mavenEngineHome(ctx.enginesDir, 's3proxy'), 's3proxy.jar'),
        '--properties',
        join(c.confDir, 's3proxy.properties'),
      ],
    };
  },

  /** Ready when the origin answers S3 and holds the origin bucket (created on first start). */
  async probe(c) {
    const s3 = originClient(c.endpoint);
    try {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: originBucket }));
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
        await s3.send(new CreateBucketCommand({ Bucket: originBucket }));
      }
    } finally {
      s3.destroy();
    }
  },
};
