import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import type { Db } from '../../engines/mysql/client.js';
import { abortMultipart, deletePrefix } from '../../engines/origin/objects.js';
import { publishEvent, topics } from '../../platform/events.js';
import { deleteTitleRows, setTitleStatus, type TitleRow } from './store.js';

/**
 * Deletes a title everywhere: marked `deleting` first (players stop being handed it), its
 * unfinished upload aborted, its objects under titles/, work/ and originals/ deleted, its rows
 * dropped, then title.deleted published (the search index and any other reader of title events
 * drop it). Run again after a crash, it finishes the job. Returns how many objects went.
 */
export async function removeTitle(
  deps: { db: Db; s3: S3Client; producer: () => Promise<Producer> },
  t: Pick<TitleRow, 'id' | 'uploadId' | 'sourceKey'>,
): Promise<number> {
  await setTitleStatus(deps.db, t.id, 'deleting');
  if (t.uploadId) await abortMultipart(deps.s3, t.sourceKey, t.uploadId);
  let n = 0;
  for (const prefix of [`titles/${t.id}/`, `work/${t.id}/`, `originals/${t.id}/`])
    n += await deletePrefix(deps.s3, prefix);
  await deleteTitleRows(deps.db, t.id);
  await publishEvent(await deps.producer(), topics.titleDeleted.name, t.id, {
    type: 'title.deleted',
    titleId: t.id,
  });
  return n;
}
