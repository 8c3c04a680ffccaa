import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '../../core/concurrency.js';
import { checkConformance } from '../../media/conformance.js';
import { filesInMpd } from '../../media/manifests/dash.js';
import { filesInHlsPlaylist, hlsDuration, resolveRef } from '../../media/manifests/hls.js';
import { probeMedia } from '../../media/probe.js';
import { durationMatches } from '../../media/validate.js';
import type { PackagedJob } from './contract.js';
import { downloadChecked } from './package.js';
import type { StageDeps } from './stages.js';
import { listObjects } from './store.js';

/** Objects fetched at once: enough to hide the origin's latency, few enough for two cores. */
const PARALLEL_DOWNLOADS = 6;

/**
 * Nothing is published before this passes. Every object the package stage wrote is read back from
 * the origin once (so what is checked is what the edges will serve) and must match the MD5
 * recorded when it was written; every file any manifest names must be one of them; every
 * manifest — the full pair and each plan's capped pair — must describe its segments exactly, as
 * their boxes say (see `checkConformance`); every rendition's start must probe cleanly as a
 * player joins it; and the title must last as long as its source, within a segment.
 */
export async function validateStage(d: StageDeps, id: string, plan: PackagedJob): Promise<void> {
  const recorded = await listObjects(d.db, id);
  const tmp = await mkdtemp(join(d.ctx.scratchDir, `validate-${id}-`));
  try {
    const local = new Map<string, string>();
    await forEachLimited(recorded, PARALLEL_DOWNLOADS, async (o, i) => {
      const file = join(tmp, `o-${i}`);
      await downloadChecked(d.s3, o.key, o.md5, file);
      local.set(o.key, file);
    });
    const read = (key: string) => {
      const file = local.get(key);
      if (!file) throw new Error(`${key} is named by a manifest but was never written`);
      return readFile(file);
    };
    const text = async (key: string) => (await read(key)).toString('utf8');
    const pairs = [
      { hls: plan.hlsMaster, dash: plan.dashManifest },
      ...Object.values(plan.cappedManifests ?? {}),
    ];
    for (const pair of pairs) {
      await namedFilesExist(pair, text);
      const problems = await checkConformance({ hlsMaster: pair.hls, dashManifest: pair.dash, read });
      if (problems.length > 0) {
        throw new Error(
          `the manifests do not describe the media: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
        );
      }
    }
    const master = plan.hlsMaster;
    const mediaPlaylists = filesInHlsPlaylist(await text(master)).map((r) => resolveRef(master, r));
    let videoDuration = 0;
    await Promise.all(
      mediaPlaylists
        .filter((p) => !p.includes('/subtitles/'))
        .map(async (pl, i) => {
          const body = await text(pl);
          videoDuration = Math.max(videoDuration, hlsDuration(body));
          const refs = filesInHlsPlaylist(body).map((r) => resolveRef(pl, r));
          await probeStart(pl, await Promise.all(refs.slice(0, 2).map(read)), join(tmp, `start-${i}.mp4`));
        }),
    );
    if (!durationMatches(plan.media.durationSeconds, videoDuration, plan.ladder.segmentSeconds)) {
      throw new Error(
        `duration ${videoDuration.toFixed(2)} s differs from the source's ${plan.media.durationSeconds.toFixed(2)} s by more than a segment`,
      );
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Every file an HLS master (through its media playlists) or an MPD names was written. */
async function namedFilesExist(
  pair: { hls: string; dash: string },
  text: (key: string) => Promise<string>,
): Promise<void> {
  for (const pl of filesInHlsPlaylist(await text(pair.hls)).map((r) => resolveRef(pair.hls, r))) {
    for (const r of filesInHlsPlaylist(await text(pl))) await text(resolveRef(pl, r));
  }
  for (const r of filesInMpd(await text(pair.dash))) await text(resolveRef(pair.dash, r));
}

/** ffprobe of a rendition's first objects (init + first segment) joined as a player joins them. */
async function probeStart(playlist: string, parts: Buffer[], joined: string): Promise<void> {
  await writeFile(joined, Buffer.concat(parts));
  const info = await probeMedia(joined);
  if (!info.video && !info.audio) throw new Error(`${playlist} has neither video nor audio`);
}
