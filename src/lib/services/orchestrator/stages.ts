import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import type { Db } from '../../engines/mysql/client.js';
import type { ServiceContext } from '../../platform/host.js';

/**
 * The stages of a title's ingest, in order. Each stage's result is persisted before the next
 * begins, so an orchestrator that restarts picks the job up at the stage it had reached.
 *   probe    ffprobe the original in the origin
 *   plan     per-title ladder and GOP-aligned chunks; a task per chunk x rendition (+ audio)
 *   queue    tasks onto Kafka, a chunk's renditions in one message by default, each to the least
 *            busy worker (again after a restart: a duplicate task is harmless)
 *   encode   wait until every task has a result
 *   package  concat chunks per rendition, CMAF segments + HLS + DASH, poster, sprite, subtitles
 *   validate every object the manifests name exists with its recorded MD5; renditions probe; duration
 *   publish  title becomes ready; title.published
 */
export const stages = ['probe', 'plan', 'queue', 'encode', 'package', 'validate', 'publish'] as const;
export type Stage = (typeof stages)[number] | 'published' | 'failed';

export function nextStage(stage: Stage): Stage {
  if (stage === 'published' || stage === 'failed') return stage;
  const i = stages.indexOf(stage);
  return i === stages.length - 1 ? 'published' : (stages[i + 1] as Stage);
}

export const terminal = (s: Stage) => s === 'published' || s === 'failed';

export interface TaskSpec {
  taskId: string;
  kind: 'video' | 'audio';
  rendition: string;
  chunkIndex: number;
  /** relative cost, for spreading tasks over partitions */
  cost: number;
}

export function videoTaskId(rendition: string, chunkIndex: number): string {
  return `${rendition}/${String(chunkIndex).padStart(4, '0')}`;
}

/**
 * Longest-processing-time-first: give each task (costliest first) to the worker with the least
 * work so far, so every worker gets about the same work. A worker takes its partitions' tasks one
 * at a time, so what must be balanced is the workers, not the partitions: `owners` lists each
 * worker's partitions as the consumer group assigned them (a worker's tasks go round its
 * partitions). Without it (the group's assignment unknown) each partition counts as a worker.
 */
export function assignPartitions(
  tasks: TaskSpec[],
  partitions: number,
  owners: number[][] = [],
): Map<string, number> {
  const bins = owners.filter((o) => o.length > 0);
  const workers = bins.length > 0 ? bins : Array.from({ length: partitions }, (_, p) => [p]);
  const load = new Array<number>(workers.length).fill(0);
  const used = new Array<number>(workers.length).fill(0);
  const out = new Map<string, number>();
  for (const t of [...tasks].sort((a, b) => b.cost - a.cost || a.taskId.localeCompare(b.taskId))) {
    let best = 0;
    for (let w = 1; w < workers.length; w++) if ((load[w] as number) < (load[best] as number)) best = w;
    const own = workers[best] as number[];
    out.set(t.taskId, own[(used[best] as number) % own.length] as number);
    used[best] = (used[best] as number) + 1;
    load[best] = (load[best] as number) + t.cost;
  }
  return out;
}

export interface TaskGroup {
  /** message key: the task id, or `chunk/<n>` for a chunk's renditions together */
  key: string;
  items: TaskSpec[];
  /** the group as one schedulable unit (summed cost) */
  spec: TaskSpec;
}

/**
 * What travels as one Kafka message. `rendition`: every task alone (each decodes its chunk).
 * `chunk`: a chunk's video tasks together, so a worker makes all renditions from one decode; the
 * audio task stays alone.
 */
export function groupTasks(tasks: TaskSpec[], shape: 'rendition' | 'chunk'): TaskGroup[] {
  const groups = new Map<string, TaskSpec[]>();
  for (const t of tasks) {
    const key = shape === 'chunk' && t.kind === 'video' ? `chunk/${t.chunkIndex}` : t.taskId;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.entries()].map(([key, items]) => ({
    key,
    items,
    spec: { ...(items[0] as TaskSpec), taskId: key, cost: items.reduce((a, x) => a + x.cost, 0) },
  }));
}

/** What a stage works with. */
export interface StageDeps {
  taskShape: 'rendition' | 'chunk';
  /** the transcoders' partitions of the tasks topic, one list per worker ([] when unknown) */
  taskOwners: () => Promise<number[][]>;
  db: Db;
  s3: S3Client;
  producer: Producer;
  ctx: ServiceContext;
}
