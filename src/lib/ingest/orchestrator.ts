import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Producer } from 'kafkajs';
import { connectCatalog, type Db, ensureCatalogSchema } from '../catalog/db.js';
import {
  acquireLease,
  activeJobs,
  advanceJob,
  createJob,
  getJob,
  insertTasks,
  type JobRow,
  listObjects,
  listTasks,
  markTasksQueued,
  recordJobError,
  recordObjects,
  recordTaskResult,
} from '../catalog/jobs.js';
import { getTitle, setTitleStatus } from '../catalog/titles.js';
import { originBucket } from '../engines/credentials.js';
import { originClient } from '../engines/origin.js';
import { connectServiceClients, publishEvent, topics } from '../events/topics.js';
import { concatChunks } from '../media/assemble.js';
import { planChunks } from '../media/chunks.js';
import { type Ladder, planLadder } from '../media/ladder.js';
import { packageTitle } from '../media/package.js';
import { type MediaInfo, probeMedia } from '../media/probe.js';
import { extractSubtitles } from '../media/subtitles.js';
import { makePoster, makeSprite } from '../media/thumbnails.js';
import { durationMatches, filesInHlsPlaylist, filesInMpd } from '../media/validate.js';
import { deletePrefix, downloadFile, headObject, md5File, presignedGet, putFile } from '../origin/objects.js';
import type { ServiceContext, ServiceHandle } from '../services/runtime.js';
import { hlsDuration, resolveRef } from './manifests.js';
import { assignPartitions, groupTasks, nextStage, type TaskSpec, videoTaskId } from './stages.js';
import {
  addSubtitlesToMaster,
  addSubtitlesToMpd,
  subtitlePlaylist,
  subtitlePlaylistName,
} from './subtitle-manifests.js';

/** What the plan stage stores in the job, for every later stage (and for `flix titles show`). */
export interface JobPlan {
  media: MediaInfo;
  ladder: Ladder;
  chunks: Array<{ index: number; startSeconds: number; durationSeconds: number }>;
  sourceKey: string;
  /** filled by the package stage */
  hlsMaster?: string;
  dashManifest?: string;
  segmentCount?: number;
}

/**
 * A transcode task as it travels on Kafka: one chunk (or the whole soundtrack) and the task ids
 * it completes — one rendition, or with taskShape `chunk` every rendition of that chunk from one
 * decode. The worker reports one result per task id.
 */
export interface TaskMessage {
  titleId: string;
  kind: 'video' | 'audio';
  items: Array<{ taskId: string; rendition: string }>;
  chunk: { index: number; startSeconds: number; durationSeconds: number } | null;
  sourceKey: string;
  ladder: Ladder;
}

export interface ResultMessage {
  titleId: string;
  taskId: string;
  objectKey: string;
  md5: string;
  bytes: number;
  worker: string;
  encodeSeconds: number;
}

const leaseMs = 60_000;
const maxAttempts = 3;
export const publishedPrefix = (id: string) => `titles/${id}/`;

const contentTypes: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.jpg': 'image/jpeg',
  '.vtt': 'text/vtt',
};
const contentType = (f: string) => contentTypes[f.slice(f.lastIndexOf('.'))] ?? 'application/octet-stream';

/**
 * The ingest orchestrator: turns title.uploaded events into jobs, advances each job's DAG one
 * persisted stage at a time under a lease (so several instances can run and a restarted one
 * resumes), records transcode results (first result of a task wins), and publishes a title only
 * after everything its manifests name has been checked.
 */
export async function startOrchestrator(ctx: ServiceContext): Promise<ServiceHandle> {
  const db = connectCatalog(ctx.endpoints);
  await ensureCatalogSchema(db);
  const s3 = originClient(ctx.endpoints.origin as string);
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
      const done = await runStage({ taskShape, db, s3, producer, ctx }, job);
      if (done) {
        const next = nextStage(job.stage);
        const fresh = (await getJob(db, job.titleId)) as JobRow;
        await advanceJob(db, fresh, next, done === true ? undefined : done);
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

interface Deps {
  taskShape: 'rendition' | 'chunk';
  db: Db;
  s3: S3Client;
  producer: Producer;
  ctx: ServiceContext;
}

/** Run one stage; resolves true (or the new plan) when the stage is complete, false to come back later. */
async function runStage(d: Deps, job: JobRow): Promise<boolean | Record<string, unknown>> {
  const id = job.titleId;
  const plan = job.plan as unknown as JobPlan | null;
  switch (job.stage) {
    case 'probe': {
      const t = await getTitle(d.db, id);
      if (!t) throw new Error('title was deleted');
      const media = await probeMedia(await presignedGet(d.s3, t.sourceKey));
      return { media, sourceKey: t.sourceKey } as unknown as Record<string, unknown>;
    }
    case 'plan': {
      const p = plan as JobPlan;
      const ladder = planLadder(p.media);
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
          cost: 0.02 * p.media.durationSeconds * 1e5,
        });
      await insertTasks(d.db, id, tasks);
      return { ...p, ladder, chunks } as unknown as Record<string, unknown>;
    }
    case 'queue': {
      const p = plan as JobPlan;
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
      d.ctx.log('tasks queued', { titleId: id, tasks: messages.length });
      return true;
    }
    case 'encode': {
      const tasks = await listTasks(d.db, id);
      return tasks.length > 0 && tasks.every((t) => t.status === 'done');
    }
    case 'package':
      return packageStage(d, id, plan as JobPlan);
    case 'validate':
      await validateStage(d, id, plan as JobPlan);
      return true;
    case 'publish': {
      await setTitleStatus(d.db, id, 'ready');
      await publishEvent(d.producer, topics.titlePublished.name, id, {
        type: 'title.published',
        titleId: id,
        hlsMaster: plan?.hlsMaster,
        dashManifest: plan?.dashManifest,
      });
      // intermediate chunk encodes are no longer needed; the original stays (it is the source of truth)
      await deletePrefix(d.s3, `work/${id}/`);
      return true;
    }
    default:
      return false;
  }
}

async function packageStage(d: Deps, id: string, plan: JobPlan): Promise<Record<string, unknown>> {
  const tmp = await mkdtemp(join(tmpdir(), `flix-package-${id}-`));
  try {
    const tasks = await listTasks(d.db, id);
    const renditions = [];
    for (const r of plan.ladder.video) {
      const chunks = tasks
        .filter((t) => t.kind === 'video' && t.rendition === r.name)
        .sort((a, b) => a.chunkIndex - b.chunkIndex);
      const files: string[] = [];
      for (const c of chunks) {
        const f = join(tmp, `${r.name}-${String(c.chunkIndex).padStart(4, '0')}.mp4`);
        await downloadChecked(d.s3, c.objectKey as string, c.md5 as string, f);
        files.push(f);
      }
      const out = join(tmp, `${r.name}.mp4`);
      await concatChunks(files, out, { expectedFrames: plan.ladder.totalFrames });
      for (const f of files) await rm(f, { force: true });
      renditions.push({ rendition: r, file: out });
    }
    let audioFile: string | null = null;
    const audio = tasks.find((t) => t.kind === 'audio');
    if (audio) {
      audioFile = join(tmp, 'audio.m4a');
      await downloadChecked(d.s3, audio.objectKey as string, audio.md5 as string, audioFile);
    }
    const outDir = join(tmp, 'out');
    const pkg = await packageTitle({
      renditions,
      audioFile,
      outDir,
      segmentSeconds: plan.ladder.segmentSeconds,
      displayAspectRatio: plan.ladder.displayAspectRatio,
      fps: plan.ladder.fps,
    });
    const source = await presignedGet(d.s3, plan.sourceKey);
    await makePoster({
      source: renditions[0]?.file ?? source,
      durationSeconds: plan.media.durationSeconds,
      output: join(outDir, 'poster.jpg'),
    });
    await makeSprite({
      source: renditions.at(-1)?.file ?? source,
      durationSeconds: plan.media.durationSeconds,
      outDir,
    });
    if (plan.media.subtitles.length > 0) {
      const subs = await extractSubtitles(source, plan.media, outDir);
      if (subs.tracks.length > 0) {
        for (const t of subs.tracks) {
          await writeFile(
            join(outDir, subtitlePlaylistName(t)),
            subtitlePlaylist(plan.media.durationSeconds, t),
          );
        }
        const masterFile = join(outDir, pkg.hlsMaster);
        await writeFile(masterFile, addSubtitlesToMaster(await readFile(masterFile, 'utf8'), subs.tracks));
        const mpdFile = join(outDir, pkg.dashManifest);
        await writeFile(mpdFile, addSubtitlesToMpd(await readFile(mpdFile, 'utf8'), subs.tracks));
      }
    }

    const files = await walk(outDir);
    const objects = [];
    for (const f of files) {
      const rel = relative(outDir, f);
      const stored = await putFile(d.s3, `${publishedPrefix(id)}${rel}`, f, {
        contentType: contentType(f),
        publicRead: true,
        cacheControl:
          f.endsWith('.m3u8') || f.endsWith('.mpd') ? 'max-age=60' : 'max-age=31536000, immutable',
      });
      objects.push({ ...stored, kind: kindOf(rel) });
    }
    await recordObjects(d.db, id, objects);
    return {
      ...plan,
      hlsMaster: `${publishedPrefix(id)}${pkg.hlsMaster}`,
      dashManifest: `${publishedPrefix(id)}${pkg.dashManifest}`,
      segmentCount: objects.filter((o) => o.kind === 'segment').length,
    } as unknown as Record<string, unknown>;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function kindOf(rel: string): string {
  if (/(^|\/)init[^/]*$/.test(rel)) return 'init';
  if (rel.endsWith('.m4s')) return 'segment';
  if (rel.endsWith('.m3u8') || rel.endsWith('.mpd')) return 'manifest';
  if (rel.endsWith('.vtt')) return rel.includes('sub') ? 'subtitle' : 'thumbnails';
  if (rel.endsWith('.jpg')) return 'image';
  return 'other';
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

async function downloadChecked(s3: S3Client, key: string, md5: string, file: string): Promise<void> {
  await downloadFile(s3, key, file);
  const got = await md5File(file);
  if (got !== md5) throw new Error(`${key}: MD5 ${got} differs from the ${md5} its worker reported`);
  const st = await stat(file);
  if (st.size === 0) throw new Error(`${key} is empty`);
}

/**
 * Nothing is published before this passes: every object the HLS and DASH manifests name exists
 * with the MD5 recorded when it was written; every rendition probes cleanly over HTTP; the
 * duration matches the source within one segment.
 */
async function validateStage(d: Deps, id: string, plan: JobPlan): Promise<void> {
  const recorded = new Map((await listObjects(d.db, id)).map((o) => [o.key, o]));
  const fetchText = async (key: string) => {
    const o = recorded.get(key);
    if (!o) throw new Error(`${key} is named by a manifest but was never written`);
    const tmp = await mkdtemp(join(tmpdir(), 'flix-validate-'));
    try {
      await downloadChecked(d.s3, key, o.md5, join(tmp, 'm'));
      return await readFile(join(tmp, 'm'), 'utf8');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };
  const named = new Set<string>();
  const master = plan.hlsMaster as string;
  const mediaPlaylists = filesInHlsPlaylist(await fetchText(master)).map((r) => resolveRef(master, r));
  let videoDuration = 0;
  for (const pl of mediaPlaylists) {
    named.add(pl);
    const text = await fetchText(pl);
    for (const r of filesInHlsPlaylist(text)) named.add(resolveRef(pl, r));
    videoDuration = Math.max(videoDuration, hlsDuration(text));
  }
  const mpd = plan.dashManifest as string;
  for (const r of filesInMpd(await fetchText(mpd))) named.add(resolveRef(mpd, r));
  for (const key of named) {
    const rec = recorded.get(key);
    if (!rec) throw new Error(`${key} is named by a manifest but was never written`);
    const head = await headObject(d.s3, key);
    if (!head) throw new Error(`${key} is missing from the origin`);
    if (head.etag !== rec.md5 || head.bytes !== rec.bytes) {
      throw new Error(
        `${key} in the origin (${head.etag}, ${head.bytes} B) differs from what was written (${rec.md5}, ${rec.bytes} B)`,
      );
    }
  }
  // every rendition must probe cleanly, read over HTTP as a player would
  const origin = `${d.ctx.endpoints.origin}/${originBucket}/`;
  for (const pl of mediaPlaylists.filter((p) => !p.includes('/subtitles/'))) {
    const info = await probeMedia(`${origin}${pl}`);
    if (!info.video && !info.audio) throw new Error(`${pl} has neither video nor audio`);
  }
  if (!durationMatches(plan.media.durationSeconds, videoDuration, plan.ladder.segmentSeconds)) {
    throw new Error(
      `duration ${videoDuration.toFixed(2)} s differs from the source's ${plan.media.durationSeconds.toFixed(2)} s by more than a segment`,
    );
  }
}
