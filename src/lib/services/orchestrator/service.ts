import { mysqlPool } from '../../engines/mysql/client.js';
import { originClient } from '../../engines/origin/client.js';
import { connectServiceClients, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { ensureCatalogSchema, getTitle, setTitleStatus } from '../catalog/store.js';
import type { ResultMessage } from './contract.js';
import { nextStage } from './stages.js';
import { runStage } from './steps.js';
import {
  acquireLease,
  activeJobs,
  advanceJob,
  createJob,
  ensureIngestSchema,
  getJob,
  type JobRow,
  recordJobError,
  recordTaskResult,
} from './store.js';

const leaseMs = 60_000;
const maxAttempts = 3;

/**
 * The ingest orchestrator: turns title.uploaded events into jobs, advances each job's DAG one
 * persisted stage at a time under a lease (so several instances can run and a restarted one
 * resumes), records transcode results (first result of a task wins), and publishes a title only
 * after everything its manifests name has been checked.
 */
export async function startOrchestrator(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  await ensureCatalogSchema(db);
  await ensureIngestSchema(db);
  const s3 = originClient(ctx.endpoints.origin as string, ctx.secrets);
  const { producer, consumer } = await connectServiceClients(
    ctx.endpoints,
    ctx.component.name,
    'flix-orchestrator',
  );
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
        ctx.log('job created', { titleId: t.id });
      } else if (event.error) {
        // a worker could not encode a task (after its own retries): the title fails, nothing is published
        const job = await getJob(db, event.titleId);
        if (!job || job.stage === 'failed' || job.stage === 'published') return;
        const why = `encode of ${event.taskId} failed on ${event.worker}: ${event.error}`;
        await recordJobError(db, event.titleId, why, true);
        await setTitleStatus(db, event.titleId, 'failed', why);
        ctx.log('job failed', { titleId: event.titleId, error: why });
      } else {
        const r = event as ResultMessage;
        const first = await recordTaskResult(db, r.titleId, r.taskId, r);
        if (!first) ctx.log('duplicate task result ignored', { titleId: r.titleId, taskId: r.taskId });
      }
    },
  });

  let current: { titleId: string; stage: string } | null = null;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let progressed = false;
      try {
        for (const job of await activeJobs(db)) {
          if (stopped) break;
          if (!(await acquireLease(db, job.titleId, ctx.component.name, leaseMs))) continue;
          current = { titleId: job.titleId, stage: job.stage };
          progressed = (await step(job)) || progressed;
          current = null;
        }
      } catch (e) {
        ctx.log('orchestrator loop error', { error: (e as Error).message });
      }
      // straight on while stages complete; a short pause while waiting for encodes
      if (!progressed) await new Promise((r) => setTimeout(r, 150));
    }
  })();

  /** Run the job's current stage; true when it moved on. */
  async function step(job: JobRow): Promise<boolean> {
    try {
      const taskShape = ctx.component.settings.taskShape === 'chunk' ? 'chunk' : 'rendition';
      const outcome = await runStage({ taskShape, db, s3, producer, ctx }, job);
      if (outcome.done) {
        const next = nextStage(job.stage);
        const fresh = (await getJob(db, job.titleId)) as JobRow;
        await advanceJob(db, fresh, next, outcome.plan);
        ctx.log('stage done', { titleId: job.titleId, stage: job.stage, next });
        return true;
      }
      return false;
    } catch (e) {
      const message = (e as Error).message;
      const fail = job.attempts + 1 >= maxAttempts;
      ctx.log('stage failed', {
        titleId: job.titleId,
        stage: job.stage,
        attempt: job.attempts + 1,
        error: message,
      });
      await recordJobError(db, job.titleId, `${job.stage}: ${message}`, fail);
      if (fail) await setTitleStatus(db, job.titleId, 'failed', `${job.stage}: ${message}`);
      return false;
    }
  }

  return {
    async stop() {
      stopped = true;
      await loop;
      await consumer.disconnect();
      await producer.disconnect();
      s3.destroy();
      await db.end();
    },
    status: () => ({ working: current }),
  };
}
