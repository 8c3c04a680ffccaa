import type { RowDataPacket } from 'mysql2/promise';
import { clusterSecrets } from '../cluster/secrets.js';
import { FlixError } from '../core/errors.js';
import { signedTitleUrl } from '../engines/edge/signing.js';
import { jsonColumn } from '../engines/mysql/client.js';
import type { Ladder } from '../media/ladder.js';
import { removeTitle } from '../services/catalog/removal.js';
import { findTitle, type TitleRow } from '../services/catalog/store.js';
import { getJob, listObjects, listTasks, type ObjectRow } from '../services/orchestrator/store.js';
import { type TitleDistribution, titleDistribution } from './edge-holdings.js';
import type { DataPlane } from './ingest.js';
import { serviceCall } from './operator.js';

/** How long the edge URLs `flix titles show` prints stay valid. */
const SHOWN_LINK_SECONDS = 3600;

export async function resolveTitle(plane: DataPlane, idOrName: string): Promise<TitleRow> {
  const t = await findTitle(plane.db, idOrName);
  if (!t)
    throw new FlixError(`no title ${idOrName}`, {
      code: 'notFound',
      nextStep: '`flix titles list` shows the titles',
    });
  return t;
}

export interface TitleSummary {
  id: string;
  title: string;
  status: string;
  stage: string | null;
  durationSeconds: number;
  renditions: string[];
  sourceBytes: number;
}

/** `flix titles list`: every title with its job's stage and ladder, in one query. */
export async function listTitleSummaries(plane: DataPlane): Promise<TitleSummary[]> {
  const [rows] = await plane.db.query<RowDataPacket[]>(
    `SELECT t.id, t.title, t.status, t.source_bytes, t.media, j.stage,
       JSON_EXTRACT(j.plan, '$.ladder.video') AS renditions
     FROM titles t LEFT JOIN ingest_jobs j ON j.title_id = t.id ORDER BY t.created_at`,
  );
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    status: r.status,
    stage: r.stage ?? null,
    durationSeconds: Number((jsonColumn(r.media) as { durationSeconds?: number }).durationSeconds ?? 0),
    renditions: ((jsonColumn(r.renditions) as Array<{ name: string }> | null) ?? []).map((v) => v.name),
    sourceBytes: Number(r.source_bytes),
  }));
}

export interface TitleDetails {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  regions: string[];
  status: string;
  stage: string | null;
  error: string | null;
  /**
   * Failed attempts of the current stage (an engine down: it is tried again after a backoff),
   * with `error` the last one; on a failed title, the attempts of the stage that failed.
   */
  attempts: number;
  /** when a stage that waits for an engine is tried next (ISO time), else null */
  retryAt: string | null;
  /** the stage a failed title failed in: where `flix titles retry` resumes it */
  failedStage: string | null;
  source: { file: string; key: string; bytes: number; etag: string | null; media: Record<string, unknown> };
  ladder: Ladder | null;
  chunks: number;
  manifests: { hls: string; dash: string; hlsUrl: string | null; dashUrl: string | null } | null;
  segmentCount: number;
  publishedBytes: number;
  stageTimes: Record<string, number | null>;
  tasks: Array<{
    id: string;
    rendition: string;
    status: string;
    worker: string | null;
    encodeSeconds: number | null;
    deliveries: number;
    md5: string | null;
  }>;
  objects: ObjectRow[];
  /** the title's tier and what each edge holds of it */
  distribution: TitleDistribution;
}

/**
 * `flix titles show`: the title, its job (ladder, stage timings, every task), every published
 * object with its MD5, and signed manifest URLs on the first edge (valid for an hour).
 */
export async function showTitle(plane: DataPlane, idOrName: string): Promise<TitleDetails> {
  const t = await resolveTitle(plane, idOrName);
  const job = await getJob(plane.db, t.id);
  const tasks = await listTasks(plane.db, t.id);
  const objects = await listObjects(plane.db, t.id);
  const plan = job?.plan ?? null;
  const edge = plane.endpoints.edges[0]?.url;
  const link = {
    secret: (await clusterSecrets(plane.endpoints.name)).edgeSigningKey,
    expiresAt: Math.floor(Date.now() / 1000) + SHOWN_LINK_SECONDS,
  };
  const url = (key: string) => (edge ? signedTitleUrl(edge, key, link) : null);
  return {
    id: t.id,
    title: t.title,
    year: t.year,
    genres: t.genres,
    regions: t.regions,
    status: t.status,
    stage: job?.stage ?? null,
    error: job?.error ?? t.error,
    attempts: job?.attempts ?? 0,
    retryAt: job?.retryAt ? new Date(job.retryAt).toISOString() : null,
    failedStage: job?.failedStage ?? null,
    source: {
      file: t.sourceFile,
      key: t.sourceKey,
      bytes: t.sourceBytes,
      etag: t.sourceEtag,
      media: t.media,
    },
    ladder: plan?.ladder ?? null,
    chunks: plan?.chunks?.length ?? 0,
    manifests:
      plan?.hlsMaster && plan.dashManifest
        ? {
            hls: plan.hlsMaster,
            dash: plan.dashManifest,
            hlsUrl: url(plan.hlsMaster),
            dashUrl: url(plan.dashManifest),
          }
        : null,
    segmentCount: objects.filter((o) => o.kind === 'segment').length,
    publishedBytes: objects.reduce((a, o) => a + o.bytes, 0),
    stageTimes: Object.fromEntries(Object.entries(job?.stageTimes ?? {}).map(([k, v]) => [k, v.seconds])),
    tasks: tasks.map((x) => ({
      id: x.taskId,
      rendition: x.rendition,
      status: x.status,
      worker: x.worker,
      encodeSeconds: x.encodeSeconds,
      deliveries: x.deliveries,
      md5: x.md5,
    })),
    objects,
    distribution: await titleDistribution(plane, t.id, t.status === 'ready' ? objects : []),
  };
}

/**
 * `flix titles retry`: a failed title's job resumes at the stage it failed in (from its original,
 * which a failure keeps), through the orchestrator, which owns the jobs.
 */
export async function retryTitle(
  plane: DataPlane,
  idOrName: string,
): Promise<{ id: string; title: string; stage: string }> {
  const t = await resolveTitle(plane, idOrName);
  const r = await serviceCall<{ stage: string }>(
    plane.endpoints.name,
    'orchestrator',
    'POST',
    `/v1/jobs/${encodeURIComponent(t.id)}/retry`,
  );
  return { id: t.id, title: t.title, stage: r.stage };
}

/** `flix titles delete`: everything of the title in the origin (original included) and the catalog. */
export async function deleteTitle(
  plane: DataPlane,
  idOrName: string,
): Promise<{ id: string; objectsDeleted: number }> {
  const t = await resolveTitle(plane, idOrName);
  return { id: t.id, objectsDeleted: await removeTitle(plane, t) };
}
