import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '../../core/concurrency.js';
import { downloadVerified, listStored } from '../../engines/origin/objects.js';
import { filesInHlsPlaylist, hlsDuration, resolveRef } from '../../media/manifests/hls.js';
import { probeMedia } from '../../media/probe.js';
import { durationMatches } from '../../media/validate.js';
import { type PackagedJob, publishedPrefix } from './contract.js';
import type { StageDeps } from './stages.js';
import { listObjects } from './store.js';

/** Objects fetched at once: enough to hide the origin's latency, few enough for two cores. */
const PARALLEL_DOWNLOADS = 6;

/**
 * Nothing is published before this passes. The manifests were checked against the segments'
 * boxes where they were made (the package stage's `checkPackage`); here the origin must hold exactly those
 * bytes: one listing gives every stored object's size and the MD5 the origin computed of it
 * (ETag), and each must match what the package stage recorded — a thousand objects per request
 * instead of reading each back. Then, as a player joins them through the origin, every
 * rendition's first objects must probe cleanly, and the title must last as long as its source,
 * within a segment.
 */
export async function validateStage(d: StageDeps, id: string, plan: PackagedJob): Promise<void> {
  const recorded = await listObjects(d.db, id);
  const stored = new Map((await listStored(d.s3, publishedPrefix(id))).map((o) => [o.key, o]));
  const wrong = recorded.filter((o) => {
    const s = stored.get(o.key);
    return !s || s.etag !== o.md5 || s.bytes !== o.bytes;
  });
  if (wrong.length > 0) {
    throw new Error(
      `${wrong.length} of ${recorded.length} packaged objects are missing from the origin or differ from what was written: ${wrong
        .slice(0, 3)
        .map((o) => o.key)
        .join(', ')}`,
    );
  }
  const md5Of = new Map(recorded.map((o) => [o.key, o.md5]));
  const tmp = await mkdtemp(join(d.ctx.scratchDir, `validate-${id}-`));
  try {
    let n = 0;
    const fetch = async (key: string) => {
      const md5 = md5Of.get(key);
      if (!md5) throw new Error(`${key} is named by a manifest but was never written`);
      const file = join(tmp, `o-${n++}`);
      await downloadVerified(d.s3, key, md5, file);
      return readFile(file);
    };
    const master = plan.hlsMaster;
    const mediaPlaylists = filesInHlsPlaylist((await fetch(master)).toString('utf8'))
      .map((r) => resolveRef(master, r))
      .filter((p) => !p.includes('/subtitles/'));
    let videoDuration = 0;
    await forEachLimited(mediaPlaylists, PARALLEL_DOWNLOADS / 2, async (pl, i) => {
      const body = (await fetch(pl)).toString('utf8');
      videoDuration = Math.max(videoDuration, hlsDuration(body));
      const refs = filesInHlsPlaylist(body).map((r) => resolveRef(pl, r));
      await probeStart(pl, await Promise.all(refs.slice(0, 2).map(fetch)), join(tmp, `start-${i}.mp4`));
    });
    if (!durationMatches(plan.media.durationSeconds, videoDuration, plan.ladder.segmentSeconds)) {
      throw new Error(
        `duration ${videoDuration.toFixed(2)} s differs from the source's ${plan.media.durationSeconds.toFixed(2)} s by more than a segment`,
      );
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** ffprobe of a rendition's first objects (init + first segment) joined as a player joins them. */
async function probeStart(playlist: string, parts: Buffer[], joined: string): Promise<void> {
  await writeFile(joined, Buffer.concat(parts));
  const info = await probeMedia(joined);
  if (!info.video && !info.audio) throw new Error(`${playlist} has neither video nor audio`);
}
