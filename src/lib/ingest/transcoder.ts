import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { originClient } from '../engines/origin.js';
import { connectServiceClients, publishEvent, topics } from '../events/topics.js';
import { encodeAudio, encodeVideoChunk } from '../media/encode.js';
import { presignedGet, putFile } from '../origin/objects.js';
import type { ServiceContext, ServiceHandle } from '../services/runtime.js';
import type { ResultMessage, TaskMessage } from './orchestrator.js';

/**
 * A transcoder worker: one consumer of the shared group on transcode.tasks. It encodes a chunk
 * of the original for one rendition (reading the original over HTTP with seeking, so only that
 * part is fetched), stores the result under a key of its own, and reports it. Delivery is at
 * least once: a redelivered or duplicated task makes another object and another report, and the
 * orchestrator keeps the first. A worker killed mid-task never commits the task's offset, so after
 * the group rebalances another worker gets it.
 */
export async function startTranscoder(ctx: ServiceContext): Promise<ServiceHandle> {
  const s3 = originClient(ctx.endpoints.origin as string);
  const { producer, consumer } = await connectServiceClients(
    ctx.endpoints,
    ctx.component.name,
    'flix-transcoders',
    {
      maxBytesPerPartition: 64 * 1024,
    },
  );
  await consumer.subscribe({ topic: topics.transcodeTasks.name, fromBeginning: true });
  const threads = Number(ctx.component.settings.threads ?? 0);
  const preset = String(ctx.component.settings.preset ?? 'veryfast');
  let current: string | null = null;
  let done = 0;

  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ message, heartbeat }) => {
      const task = JSON.parse(String(message.value)) as TaskMessage;
      current = `${task.titleId}/${task.taskId}`;
      const beat = setInterval(() => void heartbeat().catch(() => {}), 2000);
      const tmp = await mkdtemp(join(tmpdir(), 'flix-task-'));
      const t0 = performance.now();
      try {
        const source = await presignedGet(s3, task.sourceKey);
        const suffix = `${ctx.component.name}-${randomBytes(4).toString('hex')}`;
        let output: string;
        let objectKey: string;
        if (task.kind === 'video' && task.chunk) {
          const rendition = task.ladder.video.find((r) => r.name === task.rendition);
          if (!rendition)
            throw new Error(`task ${task.taskId}: no rendition ${task.rendition} in its ladder`);
          output = join(tmp, 'chunk.mp4');
          const chunk = task.chunk;
          await twice(() =>
            encodeVideoChunk({ source, chunk, rendition, ladder: task.ladder, output, threads, preset }),
          );
          objectKey = `work/${task.titleId}/${task.rendition}/${String(task.chunk.index).padStart(4, '0')}-${suffix}.mp4`;
        } else {
          output = join(tmp, 'audio.m4a');
          const out = output;
          await twice(() => encodeAudio({ source, ladder: task.ladder, output: out }));
          objectKey = `work/${task.titleId}/audio-${suffix}.m4a`;
        }
        const encodeSeconds = (performance.now() - t0) / 1000;
        const stored = await putFile(s3, objectKey, output);
        const result: ResultMessage = {
          titleId: task.titleId,
          taskId: task.taskId,
          objectKey,
          md5: stored.md5,
          bytes: stored.bytes,
          worker: ctx.component.name,
          encodeSeconds,
        };
        await publishEvent(producer, topics.transcodeResults.name, task.titleId, { ...result });
        done++;
        ctx.log('task done', {
          titleId: task.titleId,
          taskId: task.taskId,
          seconds: encodeSeconds.toFixed(2),
        });
      } catch (e) {
        // a task that cannot be encoded is reported as a log line and dropped; the orchestrator
        // notices the missing result and the title fails rather than hangs
        ctx.log('task failed', { titleId: task.titleId, taskId: task.taskId, error: (e as Error).message });
        await publishEvent(producer, topics.transcodeResults.name, task.titleId, {
          titleId: task.titleId,
          taskId: task.taskId,
          error: (e as Error).message,
          worker: ctx.component.name,
        });
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

/** One retry for a transient failure (the origin restarting, a dropped connection). */
async function twice<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch {
    await new Promise((r) => setTimeout(r, 1000));
    return fn();
  }
}
