import { deletePrefix, presignedGet } from '../../engines/origin/objects.js';
import { planChunks } from '../../media/chunks.js';
import { planLadder } from '../../media/ladder.js';
import { probeMedia } from '../../media/probe.js';
import { publishEvent, topics } from '../../platform/events.js';
import { getTitle, publishTitle } from '../catalog/store.js';
import {
  type JobPlan,
  type PlannedJob,
  packaged,
  planned,
  publishedMedia,
  type TaskMessage,
} from './contract.js';
import { packageStage } from './package.js';
import { assignPartitions, groupTasks, type StageDeps, type TaskSpec, videoTaskId } from './stages.js';
import { insertTasks, type JobRow, listTasks, markTasksQueued } from './store.js';
import { validateStage } from './validate.js';

/** A stage is done (with the plan it leaves for the next, when it changed it) or must come back later. */
export type StageOutcome = { done: true; plan?: JobPlan } | { done: false };

const done = (plan?: JobPlan): StageOutcome => ({ done: true, plan });
const notYet: StageOutcome = { done: false };

/** Runs the job's current stage once. */
export async function runStage(d: StageDeps, job: JobRow): Promise<StageOutcome> {
  const id = job.titleId;
  switch (job.stage) {
    case 'probe':
      return done(await probe(d, id));
    case 'plan':
      return done(await plan(d, id, job.plan));
    case 'queue':
      await queue(d, id, planned(job.plan, id));
      return done();
    case 'encode': {
      const tasks = await listTasks(d.db, id);
      return tasks.length > 0 && tasks.every((t) => t.status === 'done') ? done() : notYet;
    }
    case 'package':
      return done(await packageStage(d, id, planned(job.plan, id)));
    case 'validate':
      await validateStage(d, id, packaged(job.plan, id));
      return done();
    case 'publish':
      await publish(d, id, job.plan);
      return done();
    default:
      return notYet;
  }
}

/** ffprobe the original in the origin. */
async function probe(d: StageDeps, id: string): Promise<JobPlan> {
  const t = await getTitle(d.db, id);
  if (!t) throw new Error('title was deleted');
  const media = await probeMedia(await presignedGet(d.s3, t.sourceKey));
  return { media, sourceKey: t.sourceKey };
}

/** The per-title ladder and GOP-aligned chunks; a task row per chunk × rendition (sent grouped by chunk, see `groupTasks`), and the audio. */
async function plan(d: StageDeps, id: string, probed: JobPlan | null): Promise<PlannedJob> {
  if (!probed) throw new Error(`the job of ${id} has not been probed`);
  const ladder = planLadder(probed.media);
  // the ladder's duration is the video's; a container may claim more
  const chunkSegments = Number(d.ctx.component.settings.chunkSegments ?? 0);
  const chunks = planChunks(ladder.durationSeconds, {
    segmentSeconds: ladder.segmentSeconds,
    ...(chunkSegments > 0 ? { chunkSeconds: chunkSegments * ladder.segmentSeconds } : {}),
  });
  const tasks: TaskSpec[] = [];
  for (const r of ladder.video) {
    for (const c of chunks) {
      tasks.push({
        taskId: videoTaskId(r.name, c.index),
        kind: 'video',
        rendition: r.name,
        chunkIndex: c.index,
        cost: r.width * r.height * c.durationSeconds,
      });
    }
  }
  if (ladder.audio)
    tasks.push({
      taskId: 'audio',
      kind: 'audio',
      rendition: 'audio',
      chunkIndex: 0,
      cost: 0.02 * probed.media.durationSeconds * 1e5,
    });
  if (ladder.surround)
    tasks.push({
      taskId: 'surround',
      kind: 'audio',
      rendition: 'surround',
      chunkIndex: 0,
      cost: 0.05 * probed.media.durationSeconds * 1e5,
    });
  await insertTasks(d.db, id, tasks);
  return { ...probed, ladder, chunks };
}

/** The tasks not yet done onto Kafka (again after a restart: a duplicate task is harmless). */
async function queue(d: StageDeps, id: string, p: PlannedJob): Promise<void> {
  const tasks = (await listTasks(d.db, id)).filter((t) => t.status === 'queued');
  const specs: TaskSpec[] = tasks.map((t) => {
    const r = p.ladder.video.find((v) => v.name === t.rendition);
    const c = p.chunks[t.chunkIndex];
    return {
      taskId: t.taskId,
      kind: t.kind,
      rendition: t.rendition,
      chunkIndex: t.chunkIndex,
      cost: r && c ? r.width * r.height * c.durationSeconds : 1,
    };
  });
  const grouped = groupTasks(specs, d.taskShape);
  const partitions = assignPartitions(
    grouped.map((g) => g.spec),
    topics.transcodeTasks.partitions,
    await d.taskOwners(),
  );
  const messages = grouped.map((g) => {
    const first = g.items[0] as TaskSpec;
    const msg: TaskMessage = {
      titleId: id,
      kind: first.kind,
      items: g.items.map((x) => ({ taskId: x.taskId, rendition: x.rendition })),
      chunk: first.kind === 'video' ? (p.chunks[first.chunkIndex] ?? null) : null,
      sourceKey: p.sourceKey,
      ladder: p.ladder,
    };
    return { key: `${id}/${g.key}`, value: JSON.stringify(msg), partition: partitions.get(g.key) };
  });
  if (messages.length) await d.producer.send({ topic: topics.transcodeTasks.name, acks: -1, messages });
  await markTasksQueued(d.db, id);
  d.ctx.log.info('tasks queued', { titleId: id, tasks: messages.length });
}

/** The title becomes ready in the catalog; title.published; the chunk encodes are deleted. */
async function publish(d: StageDeps, id: string, plan: JobPlan | null): Promise<void> {
  const p = packaged(plan, id);
  await publishTitle(d.db, id, publishedMedia(p));
  await publishEvent(d.producer, topics.titlePublished.name, id, {
    type: 'title.published',
    titleId: id,
    hlsMaster: p.hlsMaster,
    dashManifest: p.dashManifest,
  });
  // intermediate chunk encodes are no longer needed; the original stays (it is the source of truth)
  await deletePrefix(d.s3, `work/${id}/`);
}
