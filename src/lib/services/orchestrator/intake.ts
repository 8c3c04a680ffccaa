import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import type { Db } from '../../engines/mysql/client.js';
import { type MultipartProgress, multipartUpload } from '../../engines/origin/objects.js';
import { getTitle, markUploaded, setUploadId, type TitleRow } from '../catalog/store.js';
import { announceUpload } from './contract.js';

/**
 * How a title's original enters the pipeline, whoever brought it (the operator's `flix ingest`, a
 * viewer's upload): the file goes to the origin under `originals/<id>/`, the title is marked
 * `uploaded`, and title.uploaded tells the orchestrator to start its job.
 */

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
