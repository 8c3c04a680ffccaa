import { mysqlPool } from '../../engines/mysql/client.js';
import { originClient } from '../../engines/origin/client.js';
import { deleteObject, deletePrefix } from '../../engines/origin/objects.js';
import { connectServiceClients, groupPartitionOwners, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router } from '../../platform/http/router.js';
import { OPERATOR } from '../../platform/internal-auth.js';
import { backoffMs, isTransient, rideOut } from '../../platform/outage.js';
import { ensureCatalogSchema, getTitle, setTitleStatus } from '../catalog/store.js';
import { publishedPrefix, type ResultMessage, TRANSCODER_GROUP } from './contract.js';
import type { Stage } from './stages.js';
import { nextStage } from './stages.js';
import { runStage } from './steps.js';
import {
  acquireLease,
  activeJobs,
  advanceJob,
  createJob,
  ensureIngestSchema,
  forgetJobOutputs,
  getJob,
  type JobRow,
  listTasks,
  recordJobError,
  recordTaskResult,
  retryJob,
} from './store.js';

const leaseMs = 60_000;

/**
 * The ingest orchestrator: turns title.uploaded events into jobs, advances each job's DAG one
 * persisted stage at a time under a lease (so several instances can run and a restarted one
 * resumes), records transcode results (first result of a task wins), and publishes a title only
 * after everything its manifests name has been checked.
 *
 *   POST /v1/jobs/:titleId/retry   the operator's: a failed title's job resumes at the stage it failed in
 */
export async function startOrchestrator(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureCatalogSchema(db);
  await ensureIngestSchema(db);
  const s3 = originClient(ctx.endpoints.origin as string, ctx.secrets);
  const { kafka, producer, consumer } = await connectServiceClients(
    ctx.endpoints,
    ctx.component.name,
    'flix-orchestrator',
  );
  ctx.metrics.watchConsumer(consumer, 'flix-orchestrator');
  // the transcoders' group, asked when tasks are queued: a task goes to the least busy worker
  const taskOwners = () =>
    groupPartitionOwners(kafka, TRANSCODER_GROUP, topics.transcodeTasks.name).catch(() => []);
  await consumer.subscribe({
    topics: [topics.titleUploaded.name, topics.transcodeResults.name],
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const event = JSON.parse(String(message.value));
      if (topic === topics.titleUploaded.name) {
        const t = await getTitle(db, event.titleId);
        if (t?.status !== 'uploaded') return; // deleted, or already under way
        await createJob(db, t.id);
        await setTitleStatus(db, t.id, 'processing');
        ctx.log.info('job created', { titleId: t.id });
      } else if (event.error) {
        // a worker could not encode a task (after its own retries): the title fails, nothing is published
        const job = await getJob(db, event.titleId);
        if (!job || job.stage === 'failed' || job.stage === 'published') return;
        const why = `encode of ${event.taskId} failed on ${event.worker}: ${event.error}`;
        await failJob(event.titleId, why, 'encode');
        ctx.log.warn('job failed', { titleId: event.titleId, error: why });
      } else {
        const r = event as ResultMessage;
        const job = await getJob(db, r.titleId);
        if (!job || job.stage === 'failed') {
          // a late result of a title that failed or was deleted meanwhile: its object would be
          // a leftover under work/ (a published title's duplicate is counted below, then dropped)
          await deleteObject(s3, r.objectKey);
          return;
        }
        const first = await recordTaskResult(db, r.titleId, r.taskId, r);
        if (!first) {
          ctx.log.info('duplicate task result ignored', { titleId: r.titleId, taskId: r.taskId });
          // another run's output (its own key); the very same message twice keeps the object
          const kept = (await listTasks(db, r.titleId)).find((t) => t.taskId === r.taskId)?.objectKey;
          if (kept !== r.objectKey) await deleteObject(s3, r.objectKey);
        }
      }
    },
  });

  // Several jobs advance at once (each under its own lease): one title's packaging waits on the
  // origin and on ffmpeg start-ups, and another's stages fill that time. Bounded, because the
  // stages also share the machine with the encoders.
  const parallel = Math.max(1, Number(ctx.component.settings.parallelJobs ?? 3));
  const outageMs = Number(ctx.component.settings.outageSeconds ?? 120) * 1000;
  const working = new Map<string, string>();
  let stopped = false;
  let wake: () => void = () => {};
  /** Advances one job stage after stage while it moves on; gives its slot up while it waits. */
  const advance = async (job: JobRow): Promise<boolean> => {
    let current: JobRow | null = job;
    let moved = false;
    while (current && !stopped) {
      working.set(current.titleId, current.stage);
      if (!(await step(current))) break;
      moved = true;
      current = await getJob(db, job.titleId);
      if (!current || current.stage === 'published' || current.stage === 'failed') break;
    }
    return moved;
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const titleId of await activeJobs(db)) {
          if (stopped || working.size >= parallel) break;
          if (working.has(titleId)) continue;
          if (!(await acquireLease(db, titleId, ctx.component.name, leaseMs))) continue;
          const job = await getJob(db, titleId);
          if (!job || job.stage === 'published' || job.stage === 'failed') continue;
          working.set(job.titleId, job.stage);
          void advance(job)
            .catch((e) => {
              ctx.log.warn('orchestrator job error', { titleId: job.titleId, error: (e as Error).message });
              return false;
            })
            .then((moved) => {
              working.delete(job.titleId);
              // a job that moved on frees its slot for the next at once; one still waiting for
              // its encodes is looked at again on the next tick, not in a busy loop
              if (moved) wake();
            });
        }
      } catch (e) {
        ctx.log.warn('orchestrator loop error', { error: (e as Error).message });
      }
      // look again when a job gives its slot up, or shortly (encodes finish on their own)
      await new Promise<void>((r) => {
        const t = setTimeout(r, 150);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    while (working.size > 0) await new Promise((r) => setTimeout(r, 50));
  })();

  /** Run the job's current stage; true when it moved on. */
  async function step(job: JobRow): Promise<boolean> {
    try {
      const taskShape = ctx.component.settings.taskShape === 'chunk' ? 'chunk' : 'rendition';
      const outcome = await runStage({ taskShape, taskOwners, db, s3, producer, ctx }, job);
      if (outcome.done) {
        const next = nextStage(job.stage);
        const fresh = (await getJob(db, job.titleId)) as JobRow;
        await advanceJob(db, fresh, next, outcome.plan);
        ctx.log.info('stage done', { titleId: job.titleId, stage: job.stage, next });
        return true;
      }
      return false;
    } catch (e) {
      // An engine down or restarting (connection refused, a timeout, a 5xx) delays the stage: it
      // is tried again after a backoff until the outage deadline has passed since its first
      // failure. Anything else — bad media, a 4xx, a broken invariant — fails the title at once.
      const message = (e as Error).message;
      const attempt = job.attempts + 1;
      const transient = isTransient(e);
      const fail = !transient || Date.now() - (job.failingSince ?? Date.now()) >= outageMs;
      ctx.log[fail ? 'error' : 'warn'](fail ? 'stage failed' : 'stage waits for an engine', {
        titleId: job.titleId,
        stage: job.stage,
        attempt,
        transient,
        error: message,
      });
      const why = `${job.stage}: ${message}`;
      if (fail) await failJob(job.titleId, why, job.stage);
      else
        await recordJobError(db, job.titleId, why, {
          fail: false,
          retryInMs: backoffMs(attempt, { baseMs: 500, capMs: 10_000 }),
        });
      return false;
    }
  }

  /**
   * A title that cannot be made: failed, with nothing of its ingest left behind — no chunk
   * encodes under work/, no half-written package — only its original (`flix titles retry`
   * starts again from it).
   */
  async function failJob(titleId: string, why: string, stage: Stage): Promise<void> {
    await recordJobError(db, titleId, why, { fail: true, stage });
    await setTitleStatus(db, titleId, 'failed', why);
    await rideOut(
      async () => {
        await deletePrefix(s3, `work/${titleId}/`);
        await deletePrefix(s3, publishedPrefix(titleId));
        await forgetJobOutputs(db, titleId);
      },
      { deadlineMs: outageMs, signal: ctx.signal },
    );
  }

  const router = new Router().post('/v1/jobs/:titleId/retry', async (req) => {
    if (req.caller !== OPERATOR) {
      throw new HttpError(403, 'operator-only', "retrying a title is the operator's (`flix titles retry`)");
    }
    const titleId = req.params.titleId as string;
    const title = await getTitle(db, titleId);
    if (!title) throw new HttpError(404, 'unknown-title', `no title ${titleId}`);
    if (title.status !== 'failed') {
      throw new HttpError(
        409,
        'not-failed',
        `title ${titleId} is ${title.status}: only a failed title is retried`,
      );
    }
    const stage = await retryJob(db, titleId);
    if (!stage) {
      throw new HttpError(
        409,
        'no-job',
        `title ${titleId} failed before its upload finished: \`flix ingest --resume ${titleId}\` uploads the rest`,
      );
    }
    await setTitleStatus(db, titleId, 'processing');
    ctx.log.info('job retried', { titleId, stage });
    wake();
    return { titleId, stage };
  });

  return {
    router,
    async stop() {
      stopped = true;
      wake();
      await loop;
      await consumer.disconnect();
      await producer.disconnect();
      s3.destroy();
      await db.end();
    },
    status: () => ({ working: [...working].map(([titleId, stage]) => ({ titleId, stage })) }),
  };
}
