import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import type { ClusterEndpoints } from '../cluster/endpoints.js';
import { clusterSecrets } from '../cluster/secrets.js';
import { FlixError } from '../core/errors.js';
import { parseRegionList } from '../core/regions.js';
import { type Db, mysqlPool } from '../engines/mysql/client.js';
import { originClient } from '../engines/origin/client.js';
import type { MultipartProgress } from '../engines/origin/objects.js';
import { MediaError } from '../media/errors.js';
import { validateSource } from '../media/source-check.js';
import { lazyProducer } from '../platform/events.js';
import { backoffMs, isTransient } from '../platform/outage.js';
import { runningClusterEndpoints } from '../runtime/index.js';
import { checkTitleName, titleId as makeTitleId, titleKey } from '../services/catalog/contract.js';
import {
  ensureCatalogSchema,
  findTitleByKey,
  getTitle,
  insertTitle,
  type TitleRow,
} from '../services/catalog/store.js';
import { announceUpload, originalKey } from '../services/orchestrator/contract.js';
import { SourceChangedError, storeOriginal } from '../services/orchestrator/intake.js';
import { ensureIngestSchema, getJob, listTasks } from '../services/orchestrator/store.js';

/** Everything a command needs to talk to a running cluster's data plane. */
export interface DataPlane {
  endpoints: ClusterEndpoints;
  db: Db;
  s3: S3Client;
  /** a Kafka producer, connected on first use and kept for every event after it */
  producer(): Promise<Producer>;
  close(): Promise<void>;
}

export async function openDataPlane(cluster: string): Promise<DataPlane> {
  const endpoints = await runningClusterEndpoints(cluster);
  if (!endpoints.origin) {
    throw new FlixError(`cluster '${cluster}' runs no origin`, {
      code: 'invalidConfig',
      nextStep: 'enable engines.origin',
    });
  }
  const secrets = await clusterSecrets(cluster);
  const db = mysqlPool(endpoints, secrets);
  await ensureCatalogSchema(db);
  await ensureIngestSchema(db);
  const s3 = originClient(endpoints.origin, secrets);
  const producer = lazyProducer(endpoints, 'flix-ingest');
  return {
    endpoints,
    db,
    s3,
    producer: producer.get,
    async close() {
      s3.destroy();
      await db.end();
      await producer.disconnect();
    },
  };
}

export interface IngestRequest {
  file: string;
  title: string;
  year: number | null;
  genres: string[];
  regions: string[];
}

export type UploadProgress = MultipartProgress & { titleId: string };

/** A request's title, genres and regions as they will be stored, or a usage error saying what is wrong. */
export function checkIngestRequest(req: IngestRequest): IngestRequest {
  const t = checkTitleName(req.title);
  if (!t.ok) {
    throw new FlixError(`--title ${JSON.stringify(req.title)}: ${t.problem}`, {
      code: 'usage',
      nextStep: 'nothing was uploaded; give another --title',
    });
  }
  const genres = [...new Set(req.genres.map((g) => g.trim().toLowerCase()).filter(Boolean))];
  for (const g of genres) {
    if ([...g].length > 32 || /[\p{Cc},]/u.test(g)) {
      throw new FlixError(`--genres: '${g}' is not a genre (at most 32 characters, no commas)`, {
        code: 'usage',
      });
    }
  }
  if (req.regions.length === 0) {
    throw new FlixError('--regions: a title is licensed somewhere', {
      code: 'usage',
      nextStep: 'e.g. --regions US,DE (or --regions * for everywhere)',
    });
  }
  return { ...req, title: t.name, genres, regions: parseRegionList(req.regions.join(',')) };
}

/**
 * Upload step of `flix ingest`: validate with ffprobe before anything is written, refuse a title
 * that exists, record the title as `uploading`, multipart-upload the original (resumable), mark
 * it `uploaded` and emit title.uploaded. Returns the title id.
 */
export async function ingestUpload(
  plane: DataPlane,
  req: IngestRequest,
  opts: { onProgress?: (p: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<string> {
  req = checkIngestRequest(req);
  const file = resolve(req.file);
  let media: Awaited<ReturnType<typeof validateSource>>;
  try {
    media = await validateSource(file);
  } catch (e) {
    if (e instanceof MediaError) {
      throw new FlixError(`${req.file}: ${e.message}`, {
        code: 'invalidInput',
        nextStep: 'nothing was uploaded; fix the file and try again',
      });
    }
    throw e;
  }
  const existing = await findTitleByKey(plane.db, titleKey(req.title));
  if (existing) {
    throw new FlixError(
      `a title named "${existing.title}" already exists (${existing.id}, ${existing.status})`,
      {
        code: 'conflict',
        nextStep:
          existing.status === 'uploading'
            ? `\`flix ingest --resume ${existing.id}\` finishes its upload`
            : `choose another --title, or \`flix titles delete ${existing.id}\` first`,
      },
    );
  }
  const id = makeTitleId(req.title, randomBytes(3).toString('hex'));
  await insertTitle(plane.db, {
    id,
    title: req.title,
    titleKey: titleKey(req.title),
    year: req.year,
    genres: req.genres,
    regions: req.regions,
    sourceFile: file,
    sourceKey: originalKey(id, file),
    sourceBytes: media.sizeBytes,
    media: media as unknown as Record<string, unknown>,
  });
  await uploadAndAnnounce(plane, id, opts);
  return id;
}

/** `flix ingest --resume ID`: finish an interrupted upload (parts already stored are skipped). */
export async function resumeUpload(
  plane: DataPlane,
  id: string,
  opts: { file?: string; onProgress?: (p: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<TitleRow> {
  const t = await getTitle(plane.db, id);
  if (!t)
    throw new FlixError(`no title ${id}`, {
      code: 'notFound',
      nextStep: '`flix titles list` shows the titles',
    });
  if (t.status === 'failed') {
    throw new FlixError(`title ${t.id} failed${t.error ? `: ${t.error}` : ''}`, {
      code: 'jobFailed',
      nextStep: `its upload is complete: \`flix titles retry ${t.id}\` resumes it from the stage that failed`,
    });
  }
  if (t.status !== 'uploading') {
    if (t.status === 'uploaded') await announceUpload(plane, t.id, t.sourceKey); // the event may have been lost
    return t;
  }
  if (opts.file)
    await plane.db.query('UPDATE titles SET source_file = ? WHERE id = ?', [resolve(opts.file), id]);
  await uploadAndAnnounce(plane, id, opts);
  return (await getTitle(plane.db, id)) as TitleRow;
}

async function uploadAndAnnounce(
  plane: DataPlane,
  id: string,
  opts: { onProgress?: (p: UploadProgress) => void; signal?: AbortSignal },
): Promise<void> {
  try {
    await storeOriginal(plane, id, {
      onProgress: (p) => opts.onProgress?.({ ...p, titleId: id }),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof SourceChangedError) {
      throw new FlixError(e.message, {
        code: 'invalidInput',
        nextStep: `\`flix titles delete ${id}\` and ingest the file again`,
      });
    }
    if (e instanceof FlixError) throw e;
    throw new FlixError(`upload of ${id} interrupted: ${(e as Error).message}`, {
      code: 'jobFailed',
      nextStep: `\`flix ingest --resume ${id}\` continues where it stopped (stored parts are kept)`,
    });
  }
}

export interface TitleProgress {
  title: TitleRow;
  stage: string | null;
  stageTimes: Record<string, { startedAt: number; seconds: number | null }>;
  tasks: { done: number; total: number; byRendition: Record<string, { done: number; total: number }> };
  error: string | null;
}

export async function titleProgress(plane: DataPlane, id: string): Promise<TitleProgress> {
  const title = await getTitle(plane.db, id);
  if (!title) {
    throw new FlixError(`title ${id} was deleted`, {
      code: 'notFound',
      nextStep: '`flix titles list` shows the titles',
    });
  }
  const job = await getJob(plane.db, id);
  const tasks = await listTasks(plane.db, id);
  const byRendition: Record<string, { done: number; total: number }> = {};
  for (const t of tasks) {
    const r = byRendition[t.rendition] ?? { done: 0, total: 0 };
    byRendition[t.rendition] = r;
    r.total++;
    if (t.status === 'done') r.done++;
  }
  return {
    title,
    stage: job?.stage ?? null,
    stageTimes: job?.stageTimes ?? {},
    tasks: { done: tasks.filter((t) => t.status === 'done').length, total: tasks.length, byRendition },
    error: job?.error ?? title.error,
  };
}

/**
 * Follow a title until it is ready (resolves) or failed (throws). The catalog being unreachable
 * (MySQL restarting) is waited out, said once through `onWaiting`: the title goes on in the
 * cluster meanwhile, and only the timeout ends the wait.
 */
export async function waitForTitle(
  plane: DataPlane,
  id: string,
  onUpdate: (p: TitleProgress) => void,
  opts: { timeoutMs?: number; signal?: AbortSignal; onWaiting?: (what: string) => void } = {},
): Promise<TitleProgress> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
  let waiting = false;
  let attempt = 0;
  while (Date.now() < deadline && !opts.signal?.aborted) {
    let p: TitleProgress;
    try {
      p = await titleProgress(plane, id);
    } catch (e) {
      if (!isTransient(e)) throw e;
      if (!waiting) opts.onWaiting?.(`waiting for the catalog (${(e as Error).message})…`);
      waiting = true;
      attempt++;
      await sleepUnlessAborted(
        Math.min(backoffMs(attempt, { baseMs: 250, capMs: 2000 }), deadline - Date.now()),
        opts.signal,
      );
      continue;
    }
    if (waiting) opts.onWaiting?.('the catalog answers again');
    waiting = false;
    attempt = 0;
    onUpdate(p);
    if (p.title.status === 'ready') return p;
    if (p.title.status === 'failed' || p.stage === 'failed') {
      throw new FlixError(
        `title ${id} failed${p.stage ? ` in stage ${p.stage}` : ''}: ${p.error ?? 'unknown error'}`,
        {
          code: 'jobFailed',
          nextStep: `\`flix titles show ${id}\` for details; nothing of it was published`,
        },
      );
    }
    await sleepUnlessAborted(500, opts.signal);
  }
  throw new FlixError(`title ${id} is not ready yet${waiting ? ' (the catalog does not answer)' : ''}`, {
    code: 'timeout',
    nextStep: `it keeps going in the cluster: \`flix titles show ${id}\``,
  });
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export interface IngestCommand {
  /** the file to ingest; with `resume`, the file to resume from when it moved */
  file?: string;
  /** finish the interrupted ingest of this title id */
  resume?: string;
  /** the title's name; by default the file's name without its extension */
  title?: string;
  year: number | null;
  genres: string[];
  regions: string[];
  /** follow the title through every stage until it is ready (or failed) */
  wait: boolean;
  timeoutMs: number;
}

export interface IngestResult {
  id: string;
  status: string;
  seconds: number;
  /** from the start to the title's upload event (validation, catalog row, the multipart upload) */
  uploadSeconds: number;
  upload: { bytes: number; parts: number; resumedParts: number } | null;
  stageTimes: Record<string, number | null> | null;
  /** the last progress seen while waiting (null without `wait`) */
  final: TitleProgress | null;
}

/** `flix ingest`: upload (or resume) and, with `wait`, follow the title until it is ready. */
export async function runIngest(
  plane: DataPlane,
  cmd: IngestCommand,
  opts: {
    onUpload?: (p: UploadProgress) => void;
    onProgress?: (p: TitleProgress) => void;
    onUploaded?: (id: string) => void;
    /** the wait is held up (the catalog does not answer), or goes on again */
    onWaiting?: (what: string) => void;
    signal?: AbortSignal;
  } = {},
): Promise<IngestResult> {
  const t0 = Date.now();
  let lastUpload: UploadProgress | null = null;
  const onProgress = (p: UploadProgress) => {
    lastUpload = p;
    opts.onUpload?.(p);
  };
  let id: string;
  if (cmd.resume) {
    id = (await resumeUpload(plane, cmd.resume, { file: cmd.file, onProgress, signal: opts.signal })).id;
  } else {
    if (!cmd.file) {
      throw new FlixError('give a file to ingest, or --resume ID', {
        code: 'usage',
        nextStep: 'flix ingest movie.mov --title "Big Trip"',
      });
    }
    const title = cmd.title ?? cmd.file.replace(/^.*\//, '').replace(/\.[^.]+$/, '');
    id = await ingestUpload(
      plane,
      { file: cmd.file, title, year: cmd.year, genres: cmd.genres, regions: cmd.regions },
      { onProgress, signal: opts.signal },
    );
  }
  opts.onUploaded?.(id);
  const uploadSeconds = (Date.now() - t0) / 1000;
  const final = cmd.wait
    ? await waitForTitle(plane, id, (p) => opts.onProgress?.(p), {
        timeoutMs: cmd.timeoutMs,
        signal: opts.signal,
        onWaiting: opts.onWaiting,
      })
    : null;
  const upload = lastUpload as UploadProgress | null;
  return {
    id,
    status: final ? final.title.status : 'uploaded',
    seconds: (Date.now() - t0) / 1000,
    uploadSeconds,
    upload: upload
      ? { bytes: upload.bytesTotal, parts: upload.partsTotal, resumedParts: upload.resumedParts }
      : null,
    stageTimes: final
      ? Object.fromEntries(Object.entries(final.stageTimes).map(([k, v]) => [k, v.seconds]))
      : null,
    final,
  };
}
