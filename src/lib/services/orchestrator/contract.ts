import { extname } from 'node:path';
import type { Producer } from 'kafkajs';
import { z } from 'zod';
import type { Chunk } from '../../media/chunks.js';
import type { Ladder } from '../../media/ladder.js';
import type { MediaInfo } from '../../media/probe.js';
import { publishEvent, topics } from '../../platform/events.js';
import type { PublishedMedia } from '../catalog/contract.js';

/**
 * The orchestrator's messages: the plan a job keeps in MySQL from stage to stage, and the
 * transcode tasks and results that travel on Kafka. The plan is parsed with these schemas where
 * it leaves the database, so a stage gets a typed plan or a clear error — never a cast.
 */

const video = z.object({
  index: z.number(),
  codec: z.string(),
  profile: z.string().nullable(),
  width: z.number(),
  height: z.number(),
  displayWidth: z.number(),
  displayHeight: z.number(),
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]),
  sampleAspectRatio: z.string(),
  fps: z.number(),
  frameRate: z.string(),
  avgFps: z.number(),
  avgFrameRate: z.string(),
  variableFrameRate: z.boolean(),
  pixFmt: z.string(),
  bitDepth: z.number(),
  frames: z.number().nullable(),
  startSeconds: z.number(),
  durationSeconds: z.number(),
});

const audio = z.object({
  index: z.number(),
  codec: z.string(),
  channels: z.number(),
  channelLayout: z.string().nullable(),
  sampleRate: z.number(),
  startSeconds: z.number(),
  durationSeconds: z.number().nullable(),
});

const subtitle = z.object({
  index: z.number(),
  codec: z.string(),
  language: z.string(),
  title: z.string().nullable(),
  text: z.boolean(),
  default: z.boolean(),
  forced: z.boolean(),
});

export const mediaInfoSchema = z.object({
  file: z.string(),
  sizeBytes: z.number(),
  formatName: z.string(),
  durationSeconds: z.number(),
  startSeconds: z.number(),
  video: video.nullable(),
  audio: audio.nullable(),
  subtitles: z.array(subtitle),
}) satisfies z.ZodType<MediaInfo>;

const rendition = z.object({
  name: z.string(),
  width: z.number(),
  height: z.number(),
  bitrateKbps: z.number(),
  maxrateKbps: z.number(),
  bufsizeKbps: z.number(),
  profile: z.enum(['high', 'main']),
  level: z.string(),
});

const audioPlan = z.object({
  codec: z.literal('aac'),
  bitrateKbps: z.number(),
  channels: z.number(),
  sampleRate: z.number(),
});

export const ladderSchema = z.object({
  video: z.array(rendition).min(1),
  audio: audioPlan.nullable(),
  // plans stored before surround sound have none
  surround: audioPlan.nullable().optional(),
  fps: z.number(),
  frameRate: z.string(),
  gopFrames: z.number(),
  segmentSeconds: z.number(),
  durationSeconds: z.number(),
  totalFrames: z.number(),
  displayAspectRatio: z.string(),
  source: z.object({
    videoIndex: z.number(),
    audioIndex: z.number().nullable(),
    videoOffsetSeconds: z.number(),
  }),
}) satisfies z.ZodType<Ladder>;

const chunk = z.object({
  index: z.number(),
  startSeconds: z.number(),
  durationSeconds: z.number(),
}) satisfies z.ZodType<Chunk>;

/**
 * What a job's stages have found so far: the probe stage fills `media` and `sourceKey`, the plan
 * stage the ladder and the chunks, the package stage the manifests.
 */
export const jobPlanSchema = z.object({
  media: mediaInfoSchema,
  sourceKey: z.string(),
  ladder: ladderSchema.optional(),
  chunks: z.array(chunk).optional(),
  hlsMaster: z.string().optional(),
  dashManifest: z.string().optional(),
  /** by rung: manifests offering the renditions up to it (for plans capped below the top) */
  cappedManifests: z.record(z.string(), z.object({ hls: z.string(), dash: z.string() })).optional(),
  segmentCount: z.number().optional(),
});
export type JobPlan = z.infer<typeof jobPlanSchema>;

/** A plan past the plan stage: the ladder and the chunks are there. */
export type PlannedJob = JobPlan & { ladder: Ladder; chunks: Chunk[] };
/** A plan past the package stage: the manifests are there too. */
export type PackagedJob = PlannedJob & { hlsMaster: string; dashManifest: string };

/** The plan of a job that has been through the plan stage; throws if it has not. */
export function planned(plan: JobPlan | null, titleId: string): PlannedJob {
  if (!plan?.ladder || !plan.chunks) throw new Error(`the job of ${titleId} has no ladder yet`);
  return plan as PlannedJob;
}

/** The plan of a job that has been packaged; throws if it has not. */
export function packaged(plan: JobPlan | null, titleId: string): PackagedJob {
  const p = planned(plan, titleId);
  if (!p.hlsMaster || !p.dashManifest) throw new Error(`the job of ${titleId} has no manifests yet`);
  return p as PackagedJob;
}

/** What the catalog keeps about a published title, from its job's plan. */
export function publishedMedia(p: PackagedJob): PublishedMedia {
  return {
    durationSeconds: Number(p.media.durationSeconds),
    manifests: { hls: p.hlsMaster, dash: p.dashManifest },
    cappedManifests: p.cappedManifests ?? {},
    renditions: p.ladder.video.map((v) => ({
      name: v.name,
      width: v.width,
      height: v.height,
      bitrateKbps: v.bitrateKbps,
    })),
  };
}

/** Where a title's published objects live in the origin (the edges serve this prefix). */
export const publishedPrefix = (id: string) => `titles/${id}/`;

/** The transcoders' consumer group on transcode.tasks: every worker is a member. */
export const TRANSCODER_GROUP = 'flix-transcoders';

/**
 * A transcode task as it travels on Kafka: one chunk (or the whole soundtrack) and the task ids
 * it completes — one rendition, or with taskShape `chunk` every rendition of that chunk from one
 * decode. The worker reports one result per task id.
 */
export interface TaskMessage {
  titleId: string;
  kind: 'video' | 'audio';
  items: Array<{ taskId: string; rendition: string }>;
  chunk: Chunk | null;
  sourceKey: string;
  ladder: Ladder;
}

/** A worker's report of one finished task (or, with `error`, of one it could not do). */
export interface ResultMessage {
  titleId: string;
  taskId: string;
  objectKey: string;
  md5: string;
  bytes: number;
  worker: string;
  encodeSeconds: number;
}

/**
 * How a title's original reaches the orchestrator, whoever brought it (the operator's `flix
 * ingest`, a viewer's upload): the file lies in the origin under originalKey, and title.uploaded
 * tells the orchestrator to make a job of it.
 */

/** The original's key: ASCII whatever the file's name (an extension in another script becomes .bin). */
export const originalKey = (id: string, file: string) => {
  const ext = extname(file).toLowerCase();
  return `originals/${id}/source${/^\.[a-z0-9]{1,10}$/.test(ext) ? ext : '.bin'}`;
};

/** title.uploaded (harmless to repeat: the orchestrator looks at the title's status). */
export async function announceUpload(deps: { producer(): Promise<Producer> }, id: string, sourceKey: string) {
  await publishEvent(await deps.producer(), topics.titleUploaded.name, id, {
    type: 'title.uploaded',
    titleId: id,
    sourceKey,
  });
}
