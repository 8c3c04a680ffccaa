import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { Server as TusServer } from '@tus/server';
import { parseSize } from '../../core/sizes.js';
import { originBucket, originRegion, uploadsBucket } from '../../engines/credentials.js';
import { mysqlPool } from '../../engines/mysql/client.js';
import { originClient } from '../../engines/origin/client.js';
import { MediaError } from '../../media/errors.js';
import { validateSource } from '../../media/source-check.js';
import { lazyProducer } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { errorBody } from '../../platform/http/error-body.js';
import { callerOf, HttpError, Router, sendJson, USER_HEADER } from '../../platform/http/router.js';
import { isTransient } from '../../platform/outage.js';
import { titleId as makeTitleId, titleKey } from '../catalog/contract.js';
import {
  ensureCatalogSchema,
  findTitleByKey,
  getTitle,
  insertTitle,
  markUploaded,
} from '../catalog/store.js';
import { announceUpload, originalKey } from '../orchestrator/contract.js';
import {
  isRefusal,
  parseTusMetadata,
  quotaProblem,
  type UploadQuota,
  type UploadRefusal,
  uploadRequest,
} from './contract.js';
import {
  ensureUploadsSchema,
  getUpload,
  listUploads,
  quotaUse,
  reserveUpload,
  setUploadState,
  type UploadRow,
  unfinishedUploads,
  viewOf,
} from './store.js';

/** tus parts as stored in the origin: what a killed instance can lose at most is the part being written. */
const PART_BYTES = 8 * 1024 * 1024;
const TUS_PATH = '/v1/uploads';

export function uploadQuota(raw: Record<string, unknown>): UploadQuota {
  const size = (v: unknown, d: string) => parseSize(typeof v === 'string' ? v : d);
  return {
    maxBytes: size(raw.maxBytes, '2g'),
    perDay: Number(raw.perDay ?? 20),
    bytesPerDay: size(raw.bytesPerDay, '10g'),
  };
}

/**
 * The uploads service: viewers' uploads over the tus resumable-upload protocol (@tus/server, its
 * parts stored in the origin's uploads bucket by @tus/s3-store, so an instance that dies loses no
 * stored part and any instance resumes the upload). An upload is checked and counted against the
 * quota when it is created; when its last byte is stored it gets the same ffprobe validation as
 * `flix ingest`, becomes a title owned by the uploader and enters the ingest pipeline — or is
 * refused (422) and nothing of it is kept.
 *
 *   POST   /v1/uploads            tus creation (Upload-Length, Upload-Metadata: filename, title, visibility, genres, year)
 *   HEAD   /v1/uploads/:id        tus: the offset stored so far
 *   PATCH  /v1/uploads/:id        tus: the next bytes; the last one answers with Flix-Title-Id
 *   DELETE /v1/uploads/:id        tus termination of one's own unfinished upload
 *   GET    /v1/uploads            one's uploads and quota
 *   GET    /v1/uploads/:id        one upload: its state, the title it became or why it was refused
 */
export async function startUploadsService(ctx: ServiceContext): Promise<ServiceHandle> {
  const quota = uploadQuota(ctx.component.settings);
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureCatalogSchema(db);
  await ensureUploadsSchema(db);
  const origin = ctx.endpoints.origin as string;
  const s3 = originClient(origin, ctx.secrets);
  const counts = { created: 0, accepted: 0, refused: 0, cancelled: 0 };
  const producer = lazyProducer(ctx.endpoints, ctx.component.name);

  const store = new S3Store({
    partSize: PART_BYTES,
    s3ClientConfig: {
      bucket: uploadsBucket,
      endpoint: origin,
      region: originRegion,
      forcePathStyle: true,
      credentials: { accessKeyId: ctx.secrets.originAccessKey, secretAccessKey: ctx.secrets.originSecretKey },
      // the origin (s3proxy) does not take the x-amz-checksum-* headers newer SDKs send by default
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  });
  const tus = new TusServer({
    path: TUS_PATH,
    datastore: store,
    // no maxSize: onUploadCreate refuses an oversized upload itself, with the size and the limit
    // the client knows the API under /api, where the gateway takes it
    generateUrl: (_req, { id }) => `/api/uploads/${id}`,
    // tus's own refusals carry a text body; anything else (the origin failing, a bug) is logged
    // and answered as the API's JSON error, transient failures as a 503 to retry
    onResponseError(_req, error) {
      const e = error as { status_code?: number; body?: unknown };
      if (typeof e.status_code === 'number' && typeof e.body === 'string') return undefined;
      ctx.log.warn('upload store failed', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
      const transient = isTransient(error);
      return tusError({
        status: transient ? 503 : 500,
        code: transient ? 'storage-unavailable' : 'upload-failed',
        message: transient
          ? 'the upload store did not answer; try again shortly (stored parts are kept)'
          : 'the upload store failed; try again',
      });
    },
    async onUploadCreate(req, upload) {
      const userId = req.headers.get(USER_HEADER) as string;
      const request = uploadRequest(
        parseTusMetadata(req.headers.get('upload-metadata') ?? undefined),
        req.headers.get('upload-length') ?? undefined,
        quota.maxBytes,
      );
      if (isRefusal(request)) throw tusError(request);
      // said before any byte is sent; checked again when the title is made
      if (await findTitleByKey(db, titleKey(request.title))) throw tusError(titleTaken(request.title));
      if (!(await reserveUpload(db, upload.id, userId, request, quota))) {
        throw tusError(
          quotaProblem(await quotaUse(db, userId), request.bytes, quota) ?? {
            status: 429,
            code: 'upload-quota',
            message: 'your upload quota is used up for the next 24 hours',
          },
        );
      }
      counts.created++;
      ctx.log.info('upload created', { uploadId: upload.id, userId, bytes: request.bytes });
      return {};
    },
    async onUploadFinish(_req, upload) {
      const outcome = await finish(upload.id);
      if (isRefusal(outcome)) throw tusError(outcome);
      return { headers: { 'Flix-Title-Id': outcome.titleId } };
    },
  });

  /** All bytes are stored: the upload is checked and becomes a title (or is refused). */
  async function finish(id: string): Promise<{ titleId: string } | UploadRefusal> {
    const row = await getUpload(db, id);
    if (!row) return { status: 404, code: 'unknown-upload', message: `no upload ${id}` };
    if (row.state === 'receiving') await setUploadState(db, row.id, 'received');
    return intake({ ...row, state: row.state === 'receiving' ? 'received' : row.state });
  }

  /**
   * A stored upload becomes a title: read back from the uploads bucket into scratch space,
   * validated as `flix ingest` validates, recorded as the uploader's title, copied into the
   * origin's originals and announced to the orchestrator. Refused, nothing of it is kept.
   * Run again on a row a stopped instance left, it picks up where that one stopped.
   */
  async function intake(row: UploadRow): Promise<{ titleId: string } | UploadRefusal> {
    let titleId = row.titleId;
    if (row.state === 'received') {
      const dir = join(ctx.scratchDir, row.id);
      const file = join(dir, row.filename);
      try {
        await mkdir(dir, { recursive: true });
        const object = await s3.send(new GetObjectCommand({ Bucket: uploadsBucket, Key: row.id }));
        await pipeline(object.Body as Readable, createWriteStream(file));
        let media: Awaited<ReturnType<typeof validateSource>>;
        try {
          media = await validateSource(file);
        } catch (e) {
          if (!(e instanceof MediaError)) throw e;
          return await refuse(row, { status: 422, code: `upload-${e.reason}`, message: e.message });
        }
        // the title's id comes from the upload's, so an intake that stopped after recording the
        // title (or that another instance is running at the same time) finds it as its own
        titleId = makeTitleId(row.title, row.id.slice(0, 6));
        const existing = await findTitleByKey(db, titleKey(row.title));
        if (existing && existing.id !== titleId) return await refuse(row, titleTaken(row.title));
        if (!existing)
          try {
            await insertTitle(db, {
              id: titleId,
              title: row.title,
              titleKey: titleKey(row.title),
              year: row.year,
              genres: row.genres,
              // a viewer's upload plays wherever its viewers are; who sees it is its visibility
              regions: ['*'],
              sourceFile: `upload ${row.id}: ${row.filename}`,
              sourceKey: originalKey(titleId, row.filename),
              sourceBytes: media.sizeBytes,
              media: media as unknown as Record<string, unknown>,
              owner: row.userId,
              visibility: row.visibility,
            });
          } catch (e) {
            if ((e as { code?: string }).code !== 'ER_DUP_ENTRY') throw e;
            if ((await findTitleByKey(db, titleKey(row.title)))?.id !== titleId)
              return await refuse(row, titleTaken(row.title));
          }
        await setUploadState(db, row.id, 'accepted', { titleId });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const title = titleId ? await getTitle(db, titleId) : null;
    if (!title) throw new Error(`upload ${row.id} was accepted but its title is gone`);
    if (title.status === 'uploading') {
      let etag: string;
      try {
        const copied = await s3.send(
          new CopyObjectCommand({
            Bucket: originBucket,
            Key: title.sourceKey,
            CopySource: `${uploadsBucket}/${row.id}`,
          }),
        );
        etag = (copied.CopyObjectResult?.ETag ?? '').replaceAll('"', '');
      } catch (e) {
        // another instance finishing the same upload got there first and dropped what it copied
        if (
          (e as { name?: string }).name === 'NoSuchKey' &&
          (await getTitle(db, title.id))?.status !== 'uploading'
        )
          return { titleId: title.id };
        throw e;
      }
      await markUploaded(db, title.id, etag);
      await announceUpload({ producer: producer.get }, title.id, title.sourceKey);
      await dropStoredUpload(row.id);
      counts.accepted++;
      ctx.log.info('upload accepted', { uploadId: row.id, titleId: title.id, userId: row.userId });
    }
    return { titleId: title.id };
  }

  async function refuse(row: UploadRow, why: UploadRefusal): Promise<UploadRefusal> {
    await dropStoredUpload(row.id);
    await setUploadState(db, row.id, 'refused', { error: why.message });
    counts.refused++;
    ctx.log.info('upload refused', { uploadId: row.id, userId: row.userId, code: why.code });
    return why;
  }

  /** The upload's object and tus's record of it, from the uploads bucket. */
  async function dropStoredUpload(id: string): Promise<void> {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: uploadsBucket,
        Delete: { Objects: [{ Key: id }, { Key: `${id}.info` }, { Key: `${id}.part` }], Quiet: true },
      }),
    );
  }

  // what an instance that stopped left half-done: finished now, by whichever instance starts
  const recovery = (async () => {
    for (const row of await unfinishedUploads(db).catch(() => [])) {
      if (ctx.signal.aborted) return;
      try {
        await intake(row);
      } catch (e) {
        ctx.log.info('unfinished upload waits', { uploadId: row.id, error: (e as Error).message });
      }
    }
  })();

  const router = new UploadsHttp(tus, {
    find: (id) => getUpload(db, id),
    finish,
    async terminated(id) {
      await setUploadState(db, id, 'cancelled');
      counts.cancelled++;
    },
  })
    .get(TUS_PATH, async (req) => {
      const userId = viewer(req.userId);
      const used = await quotaUse(db, userId);
      return { uploads: (await listUploads(db, userId)).map(viewOf), quota: { ...quota, used } };
    })
    .get(`${TUS_PATH}/:id`, async (req) => {
      const row = await getUpload(db, req.params.id as string);
      if (!row || row.userId !== viewer(req.userId))
        throw new HttpError(404, 'unknown-upload', `no upload ${JSON.stringify(req.params.id)} of yours`);
      return viewOf(row);
    });

  return {
    router,
    async stop() {
      await recovery;
      s3.destroy();
      await producer.disconnect();
      await db.end();
    },
    status: () => ({ ...counts, quota }),
  };
}

function viewer(userId: string | null): string {
  if (!userId) throw new HttpError(401, 'missing-user', 'uploads are per user; call through the gateway');
  return userId;
}

function titleTaken(title: string): UploadRefusal {
  return {
    status: 409,
    code: 'title-exists',
    message: `a title named ${JSON.stringify(title)} already exists; upload it under another title`,
  };
}

/** A refusal as @tus/server sends it from a hook: the status and a JSON error body. */
function tusError(r: UploadRefusal): { status_code: number; body: string } {
  return { status_code: r.status, body: JSON.stringify(errorBody(r.status, r.code, r.message)) };
}

/**
 * The service's HTTP adapter: tus requests (POST, HEAD, PATCH, DELETE, OPTIONS under /v1/uploads)
 * go to @tus/server as web requests, after the caller is known and, for an existing upload,
 * found to be its owner (anyone else is told it does not exist); GETs are JSON routes. Every
 * error goes back as the API's JSON error.
 */
class UploadsHttp extends Router {
  constructor(
    private readonly tus: TusServer,
    private readonly hooks: {
      find(id: string): Promise<UploadRow | null>;
      finish(id: string): Promise<{ titleId: string } | UploadRefusal>;
      terminated(id: string): Promise<void>;
    },
  ) {
    super();
  }

  override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0] as string;
    const method = req.method ?? 'GET';
    if (method === 'GET' || !(path === TUS_PATH || path.startsWith(`${TUS_PATH}/`)))
      return super.handle(req, res);
    const refuse = (status: number, code: string, message: string) => {
      req.resume();
      sendJson(res, status, errorBody(status, code, message));
    };
    try {
      const userHeader = req.headers[USER_HEADER];
      const userId =
        callerOf(req) !== null && typeof userHeader === 'string' && userHeader ? userHeader : null;
      if (!userId) return refuse(401, 'missing-user', 'uploads are per user; call through the gateway');
      const id = path.slice(TUS_PATH.length + 1);
      const row = id !== '' && method !== 'OPTIONS' ? await this.hooks.find(decodeURIComponent(id)) : null;
      if (id !== '' && method !== 'OPTIONS' && row?.userId !== userId)
        return refuse(404, 'unknown-upload', `no upload ${JSON.stringify(id)} of yours`);
      if (method === 'HEAD' && row?.state === 'accepted' && row.titleId) {
        // all of it arrived and it is a title now (its parts are gone from the store): a client
        // that lost the answer to its last PATCH learns here that it is done, and what it became
        req.resume();
        res.writeHead(200, {
          'tus-resumable': '1.0.0',
          'upload-offset': String(row.bytes),
          'upload-length': String(row.bytes),
          'cache-control': 'no-store',
          'flix-title-id': row.titleId,
        });
        res.end();
        return;
      }
      if (method === 'HEAD' && row?.state === 'received') {
        // all of it arrived and it is being checked (or an instance that stopped was checking
        // it, and the next to start finishes): locked, in tus's words, so the client asks again
        req.resume();
        res.writeHead(423, { 'tus-resumable': '1.0.0', 'retry-after': '1', 'cache-control': 'no-store' });
        res.end();
        return;
      }
      if (id === '' && method === 'POST' && req.headers['upload-defer-length'] !== undefined)
        return refuse(
          400,
          'length-required',
          'say how big the upload is (Upload-Length); deferred lengths are not taken',
        );
      const withBody =
        method === 'PATCH' || (method === 'POST' && Number(req.headers['content-length'] ?? 0) > 0);
      const answer = await this.tus.handleWeb(
        new Request(`http://127.0.0.1${url}`, {
          method,
          headers: requestHeaders(req),
          body: withBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
          // Node's Request needs this for a streamed body
          duplex: 'half',
        } as RequestInit),
      );
      if (!withBody) req.resume();
      if (method === 'DELETE' && answer.status === 204) await this.hooks.terminated(decodeURIComponent(id));
      if (
        method === 'HEAD' &&
        row?.state === 'receiving' &&
        answer.status === 200 &&
        answer.headers.get('upload-offset') === String(row.bytes)
      ) {
        // every byte is stored but the instance that stored the last ones stopped before it made
        // a title of them: this one does, and answers as the last PATCH would have
        const outcome = await this.hooks.finish(row.id);
        if (isRefusal(outcome)) return refuse(outcome.status, outcome.code, outcome.message);
        res.writeHead(200, { ...Object.fromEntries(answer.headers), 'flix-title-id': outcome.titleId });
        res.end();
        return;
      }
      let body = await answer.text();
      const headers = Object.fromEntries(answer.headers);
      if (answer.status >= 400) {
        if (!body.startsWith('{'))
          body = JSON.stringify(
            errorBody(
              answer.status,
              // tus's own 409: the client's offset is not the stored one (it asks again and goes on)
              answer.status === 409 ? 'offset-mismatch' : 'upload-refused',
              body.trim() || answer.statusText,
            ),
          );
        headers['content-type'] = 'application/json; charset=utf-8';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      if (res.headersSent || res.destroyed) return;
      res.writeHead(answer.status, headers);
      res.end(answer.status === 204 ? undefined : body);
    } catch (error) {
      this.logError(error, { method, path });
      if (res.headersSent || res.destroyed) return;
      const transient = isTransient(error);
      refuse(
        transient ? 503 : 500,
        transient ? 'storage-unavailable' : 'upload-failed',
        transient
          ? 'the upload store did not answer; try again shortly (stored parts are kept)'
          : 'the upload failed; try again',
      );
    }
  }
}

function requestHeaders(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    h.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return h;
}
