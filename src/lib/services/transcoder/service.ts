import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import { originClient } from '../../engines/origin/client.js';
import { presignedGet, putFile } from '../../engines/origin/objects.js';
import { encodeAudio, encodeVideoChunkRenditions } from '../../media/encode.js';
import { connectServiceClients, publishEvent, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { rideOut } from '../../platform/outage.js';
import { type ResultMessage, type TaskMessage, TRANSCODER_GROUP } from '../orchestrator/contract.js';

/**
 * A transcoder worker: one consumer of the shared group on transcode.tasks. It encodes one chunk
 * of the original for the task's rendition(s) — several from one decode when the orchestrator
 * groups them — reading the original over HTTP with seeking, so only that part is fetched, stores
 * each output under a key of its own and reports one result per task id. Delivery is at least
 * once: a redelivered or duplicated task makes other objects and other reports, and the
 * orchestrator keeps the first. A worker killed mid-task never commits the task's offset, so after
 * the group rebalances another worker gets it.
 */
export async function startTranscoder(ctx: ServiceContext): Promise<ServiceHandle> {
  const s3 = originClient(ctx.endpoints.origin as string, ctx.secrets);
  const { producer, consumer } = await connectServiceClients(
    ctx.endpoints,
    ctx.component.name,
    TRANSCODER_GROUP,
    {
      maxBytesPerPartition: 64 * 1024,
    },
  );
  ctx.metrics.watchConsumer(consumer, TRANSCODER_GROUP);
  await consumer.subscribe({ topic: topics.transcodeTasks.name, fromBeginning: true });
  const encoder = {
    threads: Number(ctx.component.settings.threads ?? 0),
    preset: String(ctx.component.settings.preset ?? 'veryfast'),
  };
  // an engine restarting (the origin, Kafka) delays a task; only bad media or a bug fails it
  const outage = {
    deadlineMs: Number(ctx.component.settings.outageSeconds ?? 120) * 1000,
    signal: ctx.signal,
  };
  let current: string | null = null;
  let done = 0;

  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ message, heartbeat }) => {
      const task = JSON.parse(String(message.value)) as TaskMessage;
      const label = `${task.titleId}/${task.items.map((i) => i.taskId).join('+')}`;
      current = label;
      const beat = setInterval(() => void heartbeat().catch(() => {}), 2000);
      const tmp = await mkdtemp(join(ctx.scratchDir, 'task-'));
      try {
        const results = await rideOut(() => runTask(task, { s3, tmp, worker: ctx.component.name, encoder }), {
          ...outage,
          onRetry: (attempt, error, delayMs) =>
            ctx.log.info('task waits for an engine', {
              task: label,
              attempt,
              delayMs,
              error: (error as Error).message,
            }),
        });
        await rideOut(async () => {
          for (const r of results)
            await publishEvent(producer, topics.transcodeResults.name, task.titleId, { ...r });
        }, outage);
        done += results.length;
        ctx.log.info('task done', { task: label, seconds: results[0]?.encodeSeconds.toFixed(2) });
      } catch (e) {
        // stopping: the task stays uncommitted and goes to another worker
        if (ctx.signal.aborted) throw e;
        // reported, so the title fails rather than waits forever
        ctx.log.warn('task failed', { task: label, error: (e as Error).message });
        await rideOut(() => reportFailure(producer, task, ctx.component.name, (e as Error).message), outage);
      } finally {
        clearInterval(beat);
        await rm(tmp, { recursive: true, force: true });
        current = null;
      }
    },
  });

  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
      s3.destroy();
    },
    status: () => ({ current, done }),
  };
}

async function runTask(
  task: TaskMessage,
  env: { s3: S3Client; tmp: string; worker: string; encoder: { threads: number; preset: string } },
): Promise<ResultMessage[]> {
  const source = await presignedGet(env.s3, task.sourceKey);
  const suffix = `${env.worker}-${randomBytes(4).toString('hex')}`;
  const t0 = performance.now();
  const outputs: Array<{ taskId: string; file: string; key: string }> = [];
  if (task.kind === 'video' && task.chunk) {
    const chunk = task.chunk;
    const jobs = task.items.map((item) => {
      const rendition = task.ladder.video.find((r) => r.name === item.rendition);
      if (!rendition) throw new Error(`task ${item.taskId}: no rendition ${item.rendition} in its ladder`);
      const file = join(env.tmp, `${item.rendition}.mp4`);
      const key = `work/${task.titleId}/${item.rendition}/${String(chunk.index).padStart(4, '0')}-${suffix}.mp4`;
      outputs.push({ taskId: item.taskId, file, key });
      return { rendition, output: file };
    });
    await encodeVideoChunkRenditions({
      source,
      chunk,
      renditions: jobs,
      ladder: task.ladder,
      ...env.encoder,
    });
  } else {
    for (const item of task.items) {
      const track = item.rendition === 'surround' ? 'surround' : 'stereo';
      const file = join(env.tmp, `${track}.m4a`);
      await encodeAudio({ source, ladder: task.ladder, output: file, track });
      outputs.push({ taskId: item.taskId, file, key: `work/${task.titleId}/${track}-${suffix}.m4a` });
    }
  }
  const encodeSeconds = (performance.now() - t0) / 1000;
  const results: ResultMessage[] = [];
  for (const o of outputs) {
    const stored = await putFile(env.s3, o.key, o.file);
    results.push({
      titleId: task.titleId,
      taskId: o.taskId,
      objectKey: o.key,
      md5: stored.md5,
      bytes: stored.bytes,
      worker: env.worker,
      encodeSeconds: encodeSeconds / outputs.length,
    });
  }
  return results;
}

async function reportFailure(
  producer: Producer,
  task: TaskMessage,
  worker: string,
  error: string,
): Promise<void> {
  for (const item of task.items) {
    await publishEvent(producer, topics.transcodeResults.name, task.titleId, {
      titleId: task.titleId,
      taskId: item.taskId,
      error,
      worker,
    });
  }
}
