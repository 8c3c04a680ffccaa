/**
 * A viewer's upload through the public API with the tus resumable-upload protocol (tus-js-client):
 * the file goes up in chunks; a chunk that fails is sent again from the last offset the server
 * stored, and an upload cut short (Ctrl-C, a lost connection, a killed uploads service) is found
 * again by the file's fingerprint the next time the same file is uploaded, and resumed.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  DefaultHttpStack,
  type DetailedError,
  type HttpRequest,
  type HttpResponse,
  type HttpStack,
  type PreviousUpload,
  Upload,
  type UrlStorage,
} from 'tus-js-client';
import { FlixError } from '../../core/errors.js';
import type { Visibility } from '../../services/catalog/contract.js';
import type { UploadView } from '../../services/uploads/contract.js';
import { apiError } from './api.js';
import { type Viewer, viewerCall } from './viewer-api.js';

export interface UploadMetadata {
  title?: string;
  visibility?: Visibility;
  genres?: string[];
  year?: number;
}

export interface UploadOutcome {
  uploadId: string;
  titleId: string;
  bytes: number;
  /** the offset a previous attempt had stored, from which this one went on (0: a new upload) */
  resumedFrom: number;
}

/** Default chunk: big enough that a chunk's request overhead is small, small enough to resume often. */
export const UPLOAD_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Uploads `file` as `viewer`. `resumeFile` keeps the URLs of uploads not yet finished (by file
 * path, size, modification time and user), so running it again resumes. Resolves when the last
 * byte is stored and the service accepted the file as a title; rejects with a FlixError that
 * says what to do.
 */
export async function uploadFile(
  viewer: Viewer,
  file: string,
  meta: UploadMetadata,
  opts: {
    resumeFile: string;
    chunkBytes?: number;
    onProgress?: (sent: number, total: number) => void;
    signal?: AbortSignal;
  },
): Promise<UploadOutcome> {
  const path = resolve(file);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    throw new FlixError(`${file} is not a file`, {
      code: 'usage',
      nextStep: 'pass the path of a video file',
    });
  }
  const metadata: Record<string, string> = { filename: basename(path) };
  if (meta.title !== undefined) metadata.title = meta.title;
  if (meta.visibility) metadata.visibility = meta.visibility;
  if (meta.genres?.length) metadata.genres = meta.genres.join(',');
  if (meta.year !== undefined) metadata.year = String(meta.year);
  const what = `uploading ${basename(path)}`;
  let resumedFrom = 0;
  let resuming = false;

  return new Promise<UploadOutcome>((resolvePromise, reject) => {
    const upload = new Upload(createReadStream(path) as never, {
      endpoint: new URL('/api/uploads', viewer.api).toString(),
      headers: { authorization: `Bearer ${viewer.token}` },
      metadata,
      uploadSize: info.size,
      chunkSize: opts.chunkBytes ?? UPLOAD_CHUNK_BYTES,
      // a restarting uploads service (or gateway) is waited out for about half a minute
      retryDelays: [0, 500, 1000, 2000, 3000, 5000, 5000, 5000, 10_000],
      fingerprint: async () =>
        ['flix', viewer.user ?? viewer.token.slice(-12), path, info.size, info.mtimeMs].join('|'),
      urlStorage: new JsonUrlStorage(opts.resumeFile),
      httpStack: new PatientHeadStack(),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // the service's refusals are final; tus's own 409 (the stored offset is not the one sent:
      // ask again and go on from there) and 423 (locked) are worth another try, as is a 5xx
      onShouldRetry(error) {
        const res = (error as DetailedError).originalResponse;
        if (!res) return true;
        const status = res.getStatus();
        if (status === 423) return true;
        if (status === 409) return res.getBody().includes('"offset-mismatch"');
        // the gateway's rate limit passes; the upload quota does not
        if (status === 429) return !res.getBody().includes('upload-quota');
        return status >= 500;
      },
      onAfterResponse(req, res) {
        // the first answered HEAD of a resumed upload is where this attempt took over (later
        // ones are its own retries)
        if (req.getMethod() === 'HEAD' && res.getStatus() === 200 && resuming) {
          resuming = false;
          resumedFrom = Number(res.getHeader('upload-offset') ?? 0);
        }
      },
      onProgress: (sent, total) => opts.onProgress?.(sent, total),
      onSuccess({ lastResponse }) {
        const titleId = lastResponse.getHeader('flix-title-id');
        const uploadId = (upload.url ?? '').split('/').pop() ?? '';
        if (!titleId) {
          reject(
            new FlixError(`${what}: the upload finished but no title was named`, {
              code: 'componentFailed',
              nextStep: `\`flix upload status ${uploadId}\` shows what became of it`,
            }),
          );
        } else resolvePromise({ uploadId, titleId, bytes: info.size, resumedFrom });
      },
      onError(error) {
        reject(uploadError(what, error as DetailedError, viewer));
      },
    });
    opts.signal?.addEventListener(
      'abort',
      () => {
        void upload.abort().then(() =>
          reject(
            new FlixError(`${what} was interrupted`, {
              code: 'jobFailed',
              nextStep: 'run the same `flix upload` again: it resumes from the last stored part',
            }),
          ),
        );
      },
      { once: true },
    );
    void upload.findPreviousUploads().then(
      (previous) => {
        if (previous[0]) {
          resuming = true;
          upload.resumeFromPreviousUpload(previous[0]);
        }
        upload.start();
      },
      (e: Error) => reject(e),
    );
  });
}

/** GET /api/uploads/:id: where an upload is, and the title it became. */
export function uploadStatus(viewer: Viewer, uploadId: string): Promise<UploadView> {
  return viewerCall(viewer, `upload ${uploadId}`, 'GET', `/api/uploads/${encodeURIComponent(uploadId)}`);
}

/** GET /api/uploads: the viewer's uploads and what is left of the quota. */
export function listMyUploads(viewer: Viewer): Promise<{
  uploads: UploadView[];
  quota: { maxBytes: number; perDay: number; bytesPerDay: number; used: { count: number; bytes: number } };
}> {
  return viewerCall(viewer, 'your uploads', 'GET', '/api/uploads');
}

function uploadError(what: string, error: DetailedError, viewer: Viewer): FlixError {
  const res = error.originalResponse;
  if (!res) {
    return new FlixError(`${what} failed: ${error.message}`, {
      code: 'componentFailed',
      nextStep: 'check `flix status`; running the same `flix upload` again resumes from the last stored part',
    });
  }
  const status = res.getStatus();
  let body: unknown = null;
  try {
    body = JSON.parse(res.getBody());
  } catch {
    body = res.getBody();
  }
  const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const details = e ? `${status} ${e.code}: ${e.message}` : `HTTP ${status}`;
  if (status === 422 || status === 413 || (status === 400 && e?.code !== 'malformed-json'))
    return new FlixError(`${what} was refused: ${e?.message ?? 'not a usable video'}`, {
      code: 'invalidInput',
      details,
      nextStep: 'nothing of it was kept; fix the file or its details and upload again',
    });
  if (status === 409)
    return new FlixError(`${what} was refused: ${e?.message ?? 'the title exists'}`, {
      code: 'conflict',
      details,
      nextStep: 'give another --title',
    });
  if (status === 429 && e?.code === 'upload-quota')
    return new FlixError(`${what} was refused: ${e.message}`, {
      code: 'conflict',
      details,
      nextStep: '`flix upload list` shows your uploads of the last 24 hours',
    });
  return apiError(what, status, body, { user: viewer.user, cluster: viewer.cluster });
}

/** How long a HEAD waits out an uploads service that is not answering (restarting, failing over). */
const HEAD_PATIENCE_MS = [250, 500, 1000, 2000, 3000, 5000, 5000, 5000, 10_000];
/** How long a HEAD waits out a 423: the upload is complete and being checked. */
const LOCKED_PATIENCE_MS = 180_000;

/**
 * tus-js-client's HTTP stack, except that a HEAD (asking where an upload stands) answered with a
 * 5xx is asked again for about half a minute. tus-js-client treats any answer to that HEAD other
 * than 2xx or 423 as "this upload is gone" and starts a new one from byte 0, so a moment without
 * a healthy uploads service would otherwise throw away everything already stored. Still 5xx at
 * the end, the HEAD fails as a request, which the upload's own retries handle. A 423 (every byte
 * arrived and the service is checking the file, or a restarted one is finishing what a killed one
 * was) is asked again as the answer's Retry-After says, for up to three minutes: checking a large
 * file on a busy machine takes longer than tus-js-client's own retries wait.
 */
class PatientHeadStack implements HttpStack {
  private readonly inner = new DefaultHttpStack({});

  createRequest(method: string, url: string): HttpRequest {
    const request = this.inner.createRequest(method, url);
    return method === 'HEAD' ? new PatientHead(this.inner, request) : request;
  }

  getName(): string {
    return 'flix-patient-head';
  }
}

class PatientHead implements HttpRequest {
  private readonly headers = new Map<string, string>();
  private aborted = false;

  constructor(
    private readonly stack: HttpStack,
    private current: HttpRequest,
  ) {}

  getMethod = () => 'HEAD';
  getURL = () => this.current.getURL();
  setHeader(header: string, value: string): void {
    this.headers.set(header, value);
    this.current.setHeader(header, value);
  }
  getHeader = (header: string) => this.headers.get(header);
  setProgressHandler(): void {}
  getUnderlyingObject = () => this.current.getUnderlyingObject();

  async send(body: unknown): Promise<HttpResponse> {
    const lockedUntil = Date.now() + LOCKED_PATIENCE_MS;
    let failures = 0;
    for (;;) {
      const res = await this.current.send(body);
      const status = res.getStatus();
      if (this.aborted) return res;
      let wait: number;
      if (status === 423) {
        if (Date.now() >= lockedUntil) return res;
        wait = Math.min(10_000, 1000 * (Number(res.getHeader('retry-after')) || 1));
      } else if (status >= 500) {
        const next = HEAD_PATIENCE_MS[failures++];
        if (next === undefined) throw new Error(`the uploads service answered ${status} for half a minute`);
        wait = next;
      } else return res;
      await new Promise((r) => setTimeout(r, wait));
      if (this.aborted) return res;
      this.current = this.stack.createRequest('HEAD', this.current.getURL());
      for (const [h, v] of this.headers) this.current.setHeader(h, v);
    }
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await this.current.abort();
  }
}

/**
 * tus-js-client's URL storage as one JSON file: fingerprint → the upload URLs not yet finished.
 * (The library's own file storage is not part of its typed API.)
 */
class JsonUrlStorage implements UrlStorage {
  constructor(private readonly file: string) {}

  private async read(): Promise<Record<string, PreviousUpload & { fingerprint: string }>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return {};
    }
  }

  private async write(items: Record<string, unknown>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(items, null, 2)}\n`);
    await rename(tmp, this.file);
  }

  async findAllUploads(): Promise<PreviousUpload[]> {
    return Object.values(await this.read());
  }

  async findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return Object.values(await this.read()).filter((u) => u.fingerprint === fingerprint);
  }

  async removeUpload(key: string): Promise<void> {
    const items = await this.read();
    delete items[key];
    await this.write(items);
  }

  async addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const items = await this.read();
    const key = `tus::${fingerprint}::${Date.now()}`;
    items[key] = { ...upload, urlStorageKey: key, fingerprint };
    await this.write(items);
    return key;
  }
}

/** DELETE /api/titles/:id: one's own upload, everything of it. */
export function deleteMyTitle(
  viewer: Viewer,
  title: string,
): Promise<{ id: string; deleted: true; objectsDeleted: number }> {
  return viewerCall(viewer, `deleting '${title}'`, 'DELETE', `/api/titles/${encodeURIComponent(title)}`, {
    title,
  });
}
