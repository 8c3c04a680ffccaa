import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Stage, TaskSpec } from '../ingest/stages.js';
import type { Db } from './db.js';

export interface JobRow {
  titleId: string;
  stage: Stage;
  plan: Record<string, unknown> | null;
  /** seconds spent in each stage, and when each began */
  stageTimes: Record<string, { startedAt: number; seconds: number | null }>;
  attempts: number;
  owner: string | null;
  error: string | null;
}

export interface TaskRow {
  taskId: string;
  kind: 'video' | 'audio';
  rendition: string;
  chunkIndex: number;
  status: 'queued' | 'done';
  objectKey: string | null;
  md5: string | null;
  bytes: number | null;
  worker: string | null;
  encodeSeconds: number | null;
  deliveries: number;
}

const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function toJob(r: RowDataPacket): JobRow {
  return {
    titleId: r.title_id,
    stage: r.stage,
    plan: parse(r.plan),
    stageTimes: parse(r.stage_times) ?? {},
    attempts: r.attempts,
    owner: r.owner,
    error: r.error,
  };
}

export async function createJob(db: Db, titleId: string): Promise<void> {
  const now = Date.now();
  await db.query(`INSERT IGNORE INTO ingest_jobs (title_id, stage, stage_times) VALUES (?, 'probe', ?)`, [
    titleId,
    JSON.stringify({ probe: { startedAt: now, seconds: null } }),
  ]);
}

export async function getJob(db: Db, titleId: string): Promise<JobRow | null> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM ingest_jobs WHERE title_id = ?', [titleId]);
  return rows[0] ? toJob(rows[0]) : null;
}

export async function activeJobs(db: Db): Promise<JobRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT * FROM ingest_jobs WHERE stage NOT IN ('published', 'failed') ORDER BY created_at`,
  );
  return rows.map(toJob);
}

/** Take or renew the job's lease; only the holder advances it (several orchestrators may run). */
export async function acquireLease(db: Db, titleId: string, owner: string, ms: number): Promise<boolean> {
  const [r] = await db.query<ResultSetHeader>(
    `UPDATE ingest_jobs SET owner = ?, lease_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND
     WHERE title_id = ? AND (owner IS NULL OR owner = ? OR lease_until < CURRENT_TIMESTAMP(3))`,
    [owner, ms * 1000, titleId, owner],
  );
  return r.affectedRows === 1;
}

/** Move a job to its next stage, recording how long the finished one took. */
export async function advanceJob(
  db: Db,
  job: JobRow,
  next: Stage,
  plan?: Record<string, unknown>,
): Promise<void> {
  const now = Date.now();
  const times = { ...job.stageTimes };
  const cur = times[job.stage];
  if (cur) times[job.stage] = { ...cur, seconds: (now - cur.startedAt) / 1000 };
  if (next !== 'published' && next !== 'failed') times[next] = { startedAt: now, seconds: null };
  await db.query(
    `UPDATE ingest_jobs SET stage = ?, stage_times = ?, attempts = 0, error = NULL${plan ? ', plan = ?' : ''} WHERE title_id = ?`,
    [next, JSON.stringify(times), ...(plan ? [JSON.stringify(plan)] : []), job.titleId],
  );
}

export async function recordJobError(db: Db, titleId: string, error: string, fail: boolean): Promise<void> {
  await db.query(
    `UPDATE ingest_jobs SET attempts = attempts + 1, error = ?${fail ? `, stage = 'failed'` : ''} WHERE title_id = ?`,
    [error, titleId],
  );
}

export async function insertTasks(db: Db, titleId: string, tasks: TaskSpec[]): Promise<void> {
  if (tasks.length === 0) return;
  await db.query(
    'INSERT IGNORE INTO ingest_tasks (title_id, task_id, kind, rendition, chunk_index, status) VALUES ?',
    [tasks.map((t) => [titleId, t.taskId, t.kind, t.rendition, t.chunkIndex, 'queued'])],
  );
}

export async function markTasksQueued(db: Db, titleId: string): Promise<void> {
  await db.query(
    `UPDATE ingest_tasks SET queued_at = CURRENT_TIMESTAMP(3) WHERE title_id = ? AND status = 'queued'`,
    [titleId],
  );
}

/** The first result of a task wins; a duplicate (redelivered task) changes nothing. Returns whether it was first. */
export async function recordTaskResult(
  db: Db,
  titleId: string,
  taskId: string,
  r: { objectKey: string; md5: string; bytes: number; worker: string; encodeSeconds: number },
): Promise<boolean> {
  const [res] = await db.query<ResultSetHeader>(
    `UPDATE ingest_tasks SET status = 'done', object_key = ?, md5 = ?, bytes = ?, worker = ?, encode_seconds = ?,
       done_at = CURRENT_TIMESTAMP(3), deliveries = deliveries + 1
     WHERE title_id = ? AND task_id = ? AND status = 'queued'`,
    [r.objectKey, r.md5, r.bytes, r.worker, r.encodeSeconds, titleId, taskId],
  );
  if (res.affectedRows === 0) {
    await db.query('UPDATE ingest_tasks SET deliveries = deliveries + 1 WHERE title_id = ? AND task_id = ?', [
      titleId,
      taskId,
    ]);
  }
  return res.affectedRows === 1;
}

export async function listTasks(db: Db, titleId: string): Promise<TaskRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT * FROM ingest_tasks WHERE title_id = ? ORDER BY kind, rendition, chunk_index',
    [titleId],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    kind: r.kind,
    rendition: r.rendition,
    chunkIndex: r.chunk_index,
    status: r.status,
    objectKey: r.object_key,
    md5: r.md5,
    bytes: r.bytes === null ? null : Number(r.bytes),
    worker: r.worker,
    encodeSeconds: r.encode_seconds,
    deliveries: r.deliveries,
  }));
}

export interface ObjectRow {
  key: string;
  kind: string;
  md5: string;
  bytes: number;
}

export async function recordObjects(db: Db, titleId: string, objects: ObjectRow[]): Promise<void> {
  if (objects.length === 0) return;
  await db.query('REPLACE INTO title_objects (title_id, object_key, kind, md5, bytes) VALUES ?', [
    objects.map((o) => [titleId, o.key, o.kind, o.md5, o.bytes]),
  ]);
}

export async function listObjects(db: Db, titleId: string): Promise<ObjectRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT object_key, kind, md5, bytes FROM title_objects WHERE title_id = ? ORDER BY object_key',
    [titleId],
  );
  return rows.map((r) => ({ key: r.object_key, kind: r.kind, md5: r.md5, bytes: Number(r.bytes) }));
}
