import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { forEachLimited } from '../../core/concurrency.js';
import { downloadVerified, presignedGet, putFile } from '../../engines/origin/objects.js';
import { concatChunks } from '../../media/assemble.js';
import type { Rendition } from '../../media/ladder.js';
import { type PackageAudio, packageTitle } from '../../media/package.js';
import { extractSubtitles } from '../../media/subtitles.js';
import { makePoster, makeSprite } from '../../media/thumbnails.js';
import { checkPackage } from '../../media/validate.js';
import { type PackagedJob, type PlannedJob, publishedPrefix } from './contract.js';
import type { StageDeps } from './stages.js';
import { listTasks, recordObjects, type TaskRow } from './store.js';

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
 * The package stage: the chunk encodes joined per rendition, CMAF segments with HLS and DASH
 * manifests, poster, trick-play sprite and subtitles, all stored under the title's published
 * prefix with the MD5 of every object recorded for validation.
 */
export async function packageStage(d: StageDeps, id: string, plan: PlannedJob): Promise<PackagedJob> {
  const tmp = await mkdtemp(join(d.ctx.scratchDir, `package-${id}-`));
  // where the stage's seconds go, logged when it is done
  const seconds: Record<string, number> = {};
  let mark = performance.now();
  const lap = (what: string) => {
    const now = performance.now();
    seconds[what] = Number(((now - mark) / 1000).toFixed(2));
    mark = now;
  };
  try {
    const tasks = await listTasks(d.db, id);
    const renditions = await joinRenditions(d.s3, plan, tasks, tmp);
    const audio = await downloadAudio(d.s3, tasks, tmp);
    lap('join');
    const source = await presignedGet(d.s3, plan.sourceKey);
    const subtitlesDir = join(tmp, 'subtitles-source');
    const subtitles =
      plan.media.subtitles.length > 0
        ? (await extractSubtitles(source, plan.media, subtitlesDir)).tracks
        : [];
    const outDir = join(tmp, 'out');
    const thumbsDir = join(tmp, 'thumbs');
    await mkdir(thumbsDir);
    // the poster and sprite are made while the segments are cut: each is an ffmpeg of its own
    const [pkg] = await Promise.all([
      packageTitle({
        renditions,
        audio,
        subtitles,
        subtitlesDir,
        outDir,
        segmentSeconds: plan.ladder.segmentSeconds,
        displayAspectRatio: plan.ladder.displayAspectRatio,
        frameRate: plan.ladder.frameRate,
      }),
      makeThumbnails(plan, renditions, source, thumbsDir),
    ]);
    for (const f of await readdir(thumbsDir)) await rename(join(thumbsDir, f), join(outDir, f));
    lap('segment');
    // every manifest checked against every segment's boxes before anything is stored, where the
    // files are; validation then checks that the origin holds exactly these bytes
    for (const pair of [
      pkg,
      ...Object.values(pkg.capped).map((m) => ({ hlsMaster: m.hls, dashManifest: m.dash })),
    ]) {
      const { problems } = await checkPackage(outDir, pair);
      if (problems.length > 0) {
        throw new Error(
          `the manifests do not describe the media: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
        );
      }
    }
    lap('check');
    const objects = await storePublished(d, id, outDir);
    lap('store');
    d.ctx.log.info('package done', { titleId: id, seconds });
    const key = (rel: string) => `${publishedPrefix(id)}${rel}`;
    return {
      ...plan,
      hlsMaster: key(pkg.hlsMaster),
      dashManifest: key(pkg.dashManifest),
      cappedManifests: Object.fromEntries(
        Object.entries(pkg.capped).map(([r, m]) => [r, { hls: key(m.hls), dash: key(m.dash) }]),
      ),
      segmentCount: objects.filter((o) => o.kind === 'segment').length,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Each rendition's chunk encodes, downloaded (MD5-checked) and joined into one file, largest first. */
async function joinRenditions(
  s3: S3Client,
  plan: PlannedJob,
  tasks: TaskRow[],
  tmp: string,
): Promise<Array<{ rendition: Rendition; file: string }>> {
  const renditions = plan.ladder.video.map((r) => ({ rendition: r, file: join(tmp, `${r.name}.mp4`) }));
  // two renditions at a time: each join is an ffmpeg and an ffprobe, and the downloads of one
  // overlap the other's tools
  await forEachLimited(renditions, 2, async ({ rendition: r, file: out }) => {
    const chunks = tasks
      .filter((t) => t.kind === 'video' && t.rendition === r.name)
      .sort((a, b) => a.chunkIndex - b.chunkIndex);
    const files = chunks.map((c) => join(tmp, `${r.name}-${String(c.chunkIndex).padStart(4, '0')}.mp4`));
    await forEachLimited(chunks, 4, (c, i) =>
      downloadVerified(s3, c.objectKey as string, c.md5 as string, files[i] as string),
    );
    await concatChunks(files, out, { expectedFrames: plan.ladder.totalFrames });
    for (const f of files) await rm(f, { force: true });
  });
  return renditions;
}

/** The soundtrack's encodes, stereo (the default a player starts with) first; none for a silent title. */
async function downloadAudio(s3: S3Client, tasks: TaskRow[], tmp: string): Promise<PackageAudio[]> {
  const tracks = [
    { task: 'audio', id: 'stereo', label: 'Stereo' },
    { task: 'surround', id: 'surround', label: '5.1 Surround' },
  ];
  const out: PackageAudio[] = [];
  for (const t of tracks) {
    const row = tasks.find((r) => r.kind === 'audio' && r.taskId === t.task);
    if (!row) continue;
    const file = join(tmp, `${t.id}.m4a`);
    await downloadVerified(s3, row.objectKey as string, row.md5 as string, file);
    out.push({ id: t.id, label: t.label, file });
  }
  return out;
}

/** The poster from the largest rendition, the trick-play sprite from the smallest. */
async function makeThumbnails(
  plan: PlannedJob,
  renditions: Array<{ file: string }>,
  source: string,
  outDir: string,
): Promise<void> {
  await Promise.all([
    makePoster({
      source: renditions[0]?.file ?? source,
      durationSeconds: plan.media.durationSeconds,
      output: join(outDir, 'poster.jpg'),
    }),
    makeSprite({
      source: renditions.at(-1)?.file ?? source,
      durationSeconds: plan.media.durationSeconds,
      outDir,
      // every rendition shows the ladder's display aspect ratio ("16:9")
      displayAspect: renditions.length > 0 ? darOf(plan.ladder.displayAspectRatio) : undefined,
    }),
  ]);
}

function darOf(ratio: string): { width: number; height: number } | undefined {
  const [w, h] = ratio.split(':').map(Number);
  return w && h ? { width: w, height: h } : undefined;
}

/** Every packaged file into the origin under the title's prefix, each object's MD5 recorded. */
async function storePublished(d: StageDeps, id: string, outDir: string) {
  const files = await walk(outDir);
  const objects: Array<Awaited<ReturnType<typeof putFile>> & { kind: string }> = new Array(files.length);
  // several puts in flight hide the origin's per-request latency (a title is hundreds of objects)
  await forEachLimited(files, 8, async (f, i) => {
    const rel = relative(outDir, f);
    const stored = await putFile(d.s3, `${publishedPrefix(id)}${rel}`, f, {
      contentType: contentType(f),
      cacheControl: f.endsWith('.m3u8') || f.endsWith('.mpd') ? 'max-age=60' : 'max-age=31536000, immutable',
    });
    objects[i] = { ...stored, kind: kindOf(rel) };
  });
  await recordObjects(d.db, id, objects);
  return objects;
}

function kindOf(rel: string): string {
  if (/(^|\/)init\.mp4$/.test(rel)) return 'init';
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
