import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { forEachLimited } from '../../core/concurrency.js';
import { originBucket } from '../credentials.js';

/** MD5 of a file (or a byte range of it), hex. */
export async function md5File(file: string, start = 0, end?: number): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file, { start, end: end === undefined ? undefined : end - 1 }), hash);
  return hash.digest('hex');
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

export interface StoredObject {
  key: string;
  md5: string;
  bytes: number;
}

/**
 * Put a file with its Content-MD5: the origin refuses the write if the bytes it got differ
 * (BadDigest), so a stored object is exactly the file. Objects are private: viewers get them
 * through the edges, which sign their requests to the origin.
 */
export async function putFile(
  s3: S3Client,
  key: string,
  file: string,
  opts: { contentType?: string; cacheControl?: string } = {},
): Promise<StoredObject> {
  const md5 = await md5File(file);
  const { size } = await stat(file);
  await s3.send(
    new PutObjectCommand({
      Bucket: originBucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: size,
      ContentMD5: b64(md5),
      ContentType: opts.contentType,
      CacheControl: opts.cacheControl,
      Metadata: { md5 },
    }),
  );
  return { key, md5, bytes: size };
}

export async function headObject(
  s3: S3Client,
  key: string,
): Promise<{ etag: string; bytes: number; md5: string | null } | null> {
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket: originBucket, Key: key }));
    return {
      etag: (h.ETag ?? '').replace(/"/g, ''),
      bytes: h.ContentLength ?? 0,
      md5: h.Metadata?.md5 ?? null,
    };
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
    throw e;
  }
}

export async function downloadFile(s3: S3Client, key: string, file: string): Promise<void> {
  const r = await s3.send(new GetObjectCommand({ Bucket: originBucket, Key: key }));
  await pipeline(r.Body as NodeJS.ReadableStream, createWriteStream(file));
}

/** Downloads an object and checks it against the MD5 its writer reported. */
export async function downloadVerified(s3: S3Client, key: string, md5: string, file: string): Promise<void> {
  await downloadFile(s3, key, file);
  const got = await md5File(file);
  if (got !== md5) throw new Error(`${key}: MD5 ${got} differs from the ${md5} its writer reported`);
  const st = await stat(file);
  if (st.size === 0) throw new Error(`${key} is empty`);
}

/** A time-limited GET URL, so ffmpeg/ffprobe can read (and seek in) an object over HTTP. */
export function presignedGet(s3: S3Client, key: string, seconds = 3600): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: originBucket, Key: key }), { expiresIn: seconds });
}

/**
 * Every object under a prefix with its ETag and size, a thousand per request. The ETag of an
 * object written in one PUT is the MD5 the origin computed of the bytes it stored.
 */
export async function listStored(
  s3: S3Client,
  prefix: string,
): Promise<Array<{ key: string; etag: string; bytes: number }>> {
  const out: Array<{ key: string; etag: string; bytes: number }> = [];
  let token: string | undefined;
  do {
    const r = await s3.send(
      new ListObjectsV2Command({ Bucket: originBucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? [])
      if (o.Key) out.push({ key: o.Key, etag: (o.ETag ?? '').replace(/"/g, ''), bytes: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export async function listKeys(s3: S3Client, prefix: string): Promise<string[]> {
  return (await listStored(s3, prefix)).map((o) => o.key);
}

/** Deletes one object (nothing happens when there is none). */
export async function deleteObject(s3: S3Client, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: originBucket, Key: key }));
}

export async function deletePrefix(s3: S3Client, prefix: string): Promise<number> {
  const keys = await listKeys(s3, prefix);
  for (let i = 0; i < keys.length; i += 500) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: originBucket,
        Delete: { Objects: keys.slice(i, i + 500).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  return keys.length;
}

export const partSize = 8 * 1024 * 1024;
/** parts sent at once by {@link multipartUpload} */
const PARTS_IN_FLIGHT = 4;

export interface MultipartProgress {
  bytesDone: number;
  bytesTotal: number;
  partsDone: number;
  partsTotal: number;
  resumedParts: number;
}

/**
 * Multipart upload of a local file, resumable: `uploadId` names an upload begun before (kept by
 * the caller); the parts the origin already holds with the same MD5 are skipped. Every part is
 * sent with its Content-MD5, which the origin checks.
 */
export async function multipartUpload(
  s3: S3Client,
  key: string,
  file: string,
  opts: {
    uploadId?: string;
    onUploadId?: (uploadId: string) => Promise<void>;
    onProgress?: (p: MultipartProgress) => void;
    contentType?: string;
    signal?: AbortSignal;
  } = {},
): Promise<{ etag: string; bytes: number; parts: number; resumedParts: number }> {
  const { size } = await stat(file);
  const partsTotal = Math.max(1, Math.ceil(size / partSize));
  let uploadId = opts.uploadId;
  const have = new Map<number, string>();
  if (uploadId) {
    try {
      let marker: string | undefined;
      do {
        const r = await s3.send(
          new ListPartsCommand({
            Bucket: originBucket,
            Key: key,
            UploadId: uploadId,
            PartNumberMarker: marker,
          }),
        );
        for (const p of r.Parts ?? [])
          if (p.PartNumber && p.ETag) have.set(p.PartNumber, p.ETag.replace(/"/g, ''));
        marker = r.IsTruncated ? r.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (e) {
      if ((e as { name?: string }).name !== 'NoSuchUpload') throw e;
      uploadId = undefined; // the upload is gone: start again
      have.clear();
    }
  }
  if (!uploadId) {
    const r = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: originBucket, Key: key, ContentType: opts.contentType }),
    );
    uploadId = r.UploadId as string;
    await opts.onUploadId?.(uploadId);
  }

  const etags: string[] = new Array(partsTotal);
  let bytesDone = 0;
  let partsDone = 0;
  let resumedParts = 0;
  const fh = await open(file, 'r');
  try {
    // a few parts in flight: one at a time leaves the origin waiting on each round trip
    const numbers = Array.from({ length: partsTotal }, (_, i) => i + 1);
    await forEachLimited(numbers, PARTS_IN_FLIGHT, async (n) => {
      if (opts.signal?.aborted) throw new Error('upload interrupted');
      const start = (n - 1) * partSize;
      const len = Math.min(partSize, size - start);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, start);
      const md5 = createHash('md5').update(buf).digest('hex');
      if (have.get(n) === md5) {
        resumedParts++;
      } else {
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: originBucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            Body: buf,
            ContentLength: len,
            ContentMD5: b64(md5),
          }),
          { abortSignal: opts.signal },
        );
        if ((r.ETag ?? '').replace(/"/g, '') !== md5)
          throw new Error(`part ${n}: origin stored a different MD5`);
      }
      etags[n - 1] = md5;
      bytesDone += len;
      partsDone++;
      opts.onProgress?.({ bytesDone, bytesTotal: size, partsDone, partsTotal, resumedParts });
    });
  } finally {
    await fh.close();
  }
  const done = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: originBucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag: `"${ETag}"`, PartNumber: i + 1 })) },
    }),
  );
  return { etag: (done.ETag ?? '').replace(/"/g, ''), bytes: size, parts: partsTotal, resumedParts };
}

export async function abortMultipart(s3: S3Client, key: string, uploadId: string): Promise<void> {
  await s3
    .send(new AbortMultipartUploadCommand({ Bucket: originBucket, Key: key, UploadId: uploadId }))
    .catch(() => {});
}
