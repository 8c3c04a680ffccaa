import { extname } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import type { Db } from '../../engines/mysql/client.js';
import { type MultipartProgress, multipartUpload } from '../../engines/origin/objects.js';
import { publishEvent, topics } from '../../platform/events.js';
import { getTitle, markUploaded, setUploadId, type TitleRow } from '../catalog/store.js';

/**
 * How a title's original enters the pipeline, whoever brought it (the operator's `flix ingest`, a
 * viewer's upload): the file goes to the origin under `originals/<id>/`, the title is marked
 * `uploaded`, and title.uploaded tells the orchestrator to start its job.
 */

/** The original's key: ASCII whatever the file's name (an extension in another script becomes .bin). */
export const originalKey = (id: string, file: string) => {
  const ext = extname(file).toLowerCase();
  return `originals/${id}/source${/^\.[a-z0-9]{1,10}$/.test(ext) ? ext : '.bin'}`;
};

export interface IntakeDeps {
  db: Db;
  s3: S3Client;
  producer(): Promise<Producer>;
}

/** The file no longer has the size it was validated with. */
export class SourceChangedError extends Error {
  constructor(
    readonly title: Pick<TitleRow, 'id' | 'sourceFile' | 'sourceBytes'>,
    readonly bytes: number,
  ) {
    super(`${title.sourceFile} changed while it was being stored (${title.sourceBytes} → ${bytes} bytes)`);
  }
}

/**
 * Multipart-uploads a recorded title's source file (resumable: the parts of an earlier attempt,
 * kept under the title's upload id, are skipped), marks it uploaded and announces it.
 */
export async function storeOriginal(
  deps: IntakeDeps,
  id: string,
  opts: { onProgress?: (p: MultipartProgress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const t = await getTitle(deps.db, id);
  if (!t) throw new Error(`title ${id} is not recorded`);
  const result = await multipartUpload(deps.s3, t.sourceKey, t.sourceFile, {
    uploadId: t.uploadId ?? undefined,
    onUploadId: (uploadId) => setUploadId(deps.db, id, uploadId),
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  if (result.bytes !== t.sourceBytes) throw new SourceChangedError(t, result.bytes);
  await markUploaded(deps.db, id, result.etag);
  await announceUpload(deps, id, t.sourceKey);
}

/** title.uploaded: the orchestrator makes a job of it (again harmless: it looks at the title's status). */
export async function announceUpload(deps: Pick<IntakeDeps, 'producer'>, id: string, sourceKey: string) {
  await publishEvent(await deps.producer(), topics.titleUploaded.name, id, {
    type: 'title.uploaded',
    titleId: id,
    sourceKey,
  });
}
