import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import {
  ASCII,
  convertToUtf8mb4,
  type Db,
  jsonColumn as parse,
  TEXT_COLLATION,
} from '../../engines/mysql/client.js';
import { type JobPlan, jobPlanSchema, packaged, publishedMedia } from './contract.js';
import type { Stage, TaskSpec } from './stages.js';

/**
 * The ingest tables (idempotent; run by every writer before it writes):
 * - ingest_jobs: the persisted DAG of a title's ingest (stage, plan, timings, lease)
 * - ingest_tasks: chunk x rendition encodes, done at most once each
 * - title_objects: every object published for a title with the MD5 recorded at write time
 */
const schema = [
  `CREATE TABLE IF NOT EXISTS ingest_jobs (
    title_id VARCHAR(64) ${ASCII} PRIMARY KEY,
    stage VARCHAR(16) ${ASCII} NOT NULL,
    plan JSON NULL,
    stage_times JSON NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    owner VARCHAR(128) ${ASCII} NULL,
    lease_until DATETIME(3) NULL,
    error TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  `CREATE TABLE IF NOT EXISTS ingest_tasks (
    title_id VARCHAR(64) ${ASCII} NOT NULL,
    task_id VARCHAR(64) ${ASCII} NOT NULL,
    kind VARCHAR(8) ${ASCII} NOT NULL,
    rendition VARCHAR(16) ${ASCII} NOT NULL,
    chunk_index INT NOT NULL,
    status VARCHAR(8) ${ASCII} NOT NULL,
    object_key VARCHAR(1024) ${ASCII} NULL,
    md5 CHAR(32) ${ASCII} NULL,
    bytes BIGINT NULL,
    worker VARCHAR(128) ${ASCII} NULL,
    encode_seconds DOUBLE NULL,
    deliveries INT NOT NULL DEFAULT 0,
    queued_at DATETIME(3) NULL,
    done_at DATETIME(3) NULL,
    PRIMARY KEY (title_id, task_id)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  `CREATE TABLE IF NOT EXISTS title_objects (
    title_id VARCHAR(64) ${ASCII} NOT NULL,
    object_key VARCHAR(768) ${ASCII} NOT NULL,
    kind VARCHAR(16) ${ASCII} NOT NULL,
    md5 CHAR(32) ${ASCII} NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (title_id, object_key)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
];

/** The ASCII columns of each ingest table (ids, keys, hashes, stages), for older data dirs' conversion. */
const asciiColumns: Record<string, string[]> = {
  ingest_jobs: ['title_id', 'stage', 'owner'],
  ingest_tasks: ['title_id', 'task_id', 'kind', 'rendition', 'status', 'object_key', 'md5', 'worker'],
  title_objects: ['title_id', 'object_key', 'kind', 'md5'],
};

/** Columns added after the first release (a data dir made before them gets them here). */
const addedColumns = [
  // a stage that failed transiently is retried no sooner than this
  'ALTER TABLE ingest_jobs ADD COLUMN IF NOT EXISTS retry_at DATETIME(3) NULL',
  // since when the current stage has been failing (its deadline counts from here)
  'ALTER TABLE ingest_jobs ADD COLUMN IF NOT EXISTS failing_since DATETIME(3) NULL',
  // the stage a failed job failed in: where `flix titles retry` resumes it
  `ALTER TABLE ingest_jobs ADD COLUMN IF NOT EXISTS failed_stage VARCHAR(16) ${ASCII} NULL`,
];

export async function ensureIngestSchema(db: Db): Promise<void> {
  for (const sql of schema) await db.query(sql);
  for (const sql of addedColumns) await db.query(sql);
  for (const [table, columns] of Object.entries(asciiColumns)) {
    await convertToUtf8mb4(db, table, Object.fromEntries(columns.map((c) => [c, ASCII])));
  }
  await backfillPublished(db);
}

/**
 * Titles published before the catalog kept their published media (it read them from the job's
 * plan) get them from the plan once.
 */
async function backfillPublished(db: Db): Promise<void> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT j.title_id, j.plan FROM titles t JOIN ingest_jobs j ON j.title_id = t.id
     WHERE t.status = 'ready' AND t.published IS NULL`,
  );
  for (const r of rows) {
    const plan = parsePlan(r.plan, r.title_id);
    await db.query('UPDATE titles SET published = ? WHERE id = ?', [
      JSON.stringify(publishedMedia(packaged(plan, r.title_id))),
      r.title_id,
    ]);
  }
}

/** A job's plan as stored, checked against the schema: a plan that does not fit is an error, never a cast. */
function parsePlan(column: unknown, titleId: string): JobPlan | null {
  const value = parse(column);
  if (value === null || value === undefined) return null;
  const r = jobPlanSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `the stored plan of ${titleId} is damaged at ${issue?.path.join('.') || 'its root'}: ${issue?.message}`,
    );
  }
  return r.data;
}

export interface JobRow {
  titleId: string;
  stage: Stage;
  plan: JobPlan | null;
  /** seconds spent in each stage, and when each began */
  stageTimes: Record<string, { startedAt: number; seconds: number | null }>;
  /** failed attempts of the current stage */
  attempts: number;
  owner: string | null;
  /** the last failure of the current stage (or what failed the job) */
  error: string | null;
  /** since when the current stage has been failing, ms since epoch */
  failingSince: number | null;
  /** the next attempt of a stage that failed transiently, ms since epoch */
  retryAt: number | null;
  /** the stage a failed job failed in */
  failedStage: Stage | null;
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

function toJob(r: RowDataPacket): JobRow {
  return {
    titleId: r.title_id,
    stage: r.stage,
    plan: parsePlan(r.plan, r.title_id),
    stageTimes: parse(r.stage_times) ?? {},
    attempts: r.attempts,
    owner: r.owner,
    error: r.error,
    failingSince: r.failing_since ? new Date(r.failing_since).getTime() : null,
    retryAt: r.retry_at ? new Date(r.retry_at).getTime() : null,
    failedStage: r.failed_stage ?? null,
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

/**
 * The jobs that can advance now, oldest first: not finished, not waiting out a backoff, and not
 * encoding with tasks still out (a job waiting for its encodes must not take a slot from one
 * with work to do). Ids only, as the orchestrator asks several times a second — each is read
 * whole once it is taken.
 */
export async function activeJobs(db: Db): Promise<string[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT j.title_id FROM ingest_jobs j
     WHERE j.stage NOT IN ('published', 'failed')
       AND (j.retry_at IS NULL OR j.retry_at <= CURRENT_TIMESTAMP(3))
       AND NOT (j.stage = 'encode' AND EXISTS (
         SELECT 1 FROM ingest_tasks t WHERE t.title_id = j.title_id AND t.status = 'queued'))
     ORDER BY j.created_at`,
  );
  return rows.map((r) => r.title_id as string);
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
export async function advanceJob(db: Db, job: JobRow, next: Stage, plan?: JobPlan): Promise<void> {
  const now = Date.now();
  const times = { ...job.stageTimes };
  const cur = times[job.stage];
  if (cur) times[job.stage] = { ...cur, seconds: (now - cur.startedAt) / 1000 };
  if (next !== 'published' && next !== 'failed') times[next] = { startedAt: now, seconds: null };
  await db.query(
    `UPDATE ingest_jobs SET stage = ?, stage_times = ?, attempts = 0, error = NULL, failing_since = NULL,
     retry_at = NULL${plan ? ', plan = ?' : ''} WHERE title_id = ?`,
    [next, JSON.stringify(times), ...(plan ? [JSON.stringify(plan)] : []), job.titleId],
  );
}

/**
 * A failed attempt of the job's stage: counted, its error kept; the job fails (remembering the
 * stage, for a retry) or is tried again no sooner than `retryInMs` from now.
 */
export async function recordJobError(
  db: Db,
  titleId: string,
  error: string,
  outcome: { fail: true; stage: Stage } | { fail: false; retryInMs: number },
): Promise<void> {
  if (outcome.fail) {
    await db.query(
      `UPDATE ingest_jobs SET attempts = attempts + 1, error = ?, failed_stage = ?, stage = 'failed', retry_at = NULL
       WHERE title_id = ? AND stage NOT IN ('failed', 'published')`,
      [error, outcome.stage, titleId],
    );
  } else {
    await db.query(
      `UPDATE ingest_jobs SET attempts = attempts + 1, error = ?,
       failing_since = COALESCE(failing_since, CURRENT_TIMESTAMP(3)),
       retry_at = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE title_id = ?`,
      [error, Math.round(outcome.retryInMs * 1000), titleId],
    );
  }
}

/**
 * Put a failed job back to the stage it failed in (an encode that failed is queued again), its
 * attempts and error cleared. Returns that stage, or null when the job has not failed.
 */
export async function retryJob(db: Db, titleId: string): Promise<Stage | null> {
  const job = await getJob(db, titleId);
  if (job?.stage !== 'failed') return null;
  // a failed job's encodes and half-written package were deleted: from the encodes on, it starts
  // again at queueing them
  const early: Stage[] = ['probe', 'plan', 'queue'];
  const stage: Stage = job.failedStage && early.includes(job.failedStage) ? job.failedStage : 'queue';
  const times = { ...job.stageTimes, [stage]: { startedAt: Date.now(), seconds: null } };
  const [r] = await db.query<ResultSetHeader>(
    `UPDATE ingest_jobs SET stage = ?, stage_times = ?, attempts = 0, error = NULL, failing_since = NULL,
     retry_at = NULL, failed_stage = NULL, owner = NULL, lease_until = NULL WHERE title_id = ? AND stage = 'failed'`,
    [stage, JSON.stringify(times), titleId],
  );
  return r.affectedRows === 1 ? stage : null;
}

/**
 * What a failed job leaves: its tasks queued again without their outputs and no objects on
 * record (the caller deletes the objects themselves).
 */
export async function forgetJobOutputs(db: Db, titleId: string): Promise<void> {
  await db.query(
    `UPDATE ingest_tasks SET status = 'queued', object_key = NULL, md5 = NULL, bytes = NULL, worker = NULL,
     encode_seconds = NULL, done_at = NULL WHERE title_id = ?`,
    [titleId],
  );
  await db.query('DELETE FROM title_objects WHERE title_id = ?', [titleId]);
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
