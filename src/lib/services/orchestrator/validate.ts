import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headObject } from '../../engines/origin/objects.js';
import { filesInMpd } from '../../media/manifests/dash.js';
import { filesInHlsPlaylist, hlsDuration, resolveRef } from '../../media/manifests/hls.js';
import { probeMedia } from '../../media/probe.js';
import { durationMatches } from '../../media/validate.js';
import type { PackagedJob } from './contract.js';
import { downloadChecked } from './package.js';
import type { StageDeps } from './stages.js';
import { listObjects } from './store.js';

/**
 * Nothing is published before this passes: every object the HLS and DASH manifests name exists
 * with the MD5 recorded when it was written; every rendition's start probes cleanly; the
 * duration matches the source within one segment.
 */
export async function validateStage(d: StageDeps, id: string, plan: PackagedJob): Promise<void> {
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
  const master = plan.hlsMaster;
  const mediaPlaylists = filesInHlsPlaylist(await fetchText(master)).map((r) => resolveRef(master, r));
  let videoDuration = 0;
  for (const pl of mediaPlaylists) {
    named.add(pl);
    const text = await fetchText(pl);
    for (const r of filesInHlsPlaylist(text)) named.add(resolveRef(pl, r));
    videoDuration = Math.max(videoDuration, hlsDuration(text));
  }
  const mpd = plan.dashManifest;
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
  // every rendition must probe cleanly: its init segment and first media segment, as a player
  // starts it (objects are private: read with the origin's credentials, checked against their MD5)
  for (const pl of mediaPlaylists.filter((p) => !p.includes('/subtitles/'))) {
    const refs = filesInHlsPlaylist(await fetchText(pl)).map((r) => resolveRef(pl, r));
    await probeStart(d, pl, refs.slice(0, 2), recorded);
  }
  if (!durationMatches(plan.media.durationSeconds, videoDuration, plan.ladder.segmentSeconds)) {
    throw new Error(
      `duration ${videoDuration.toFixed(2)} s differs from the source's ${plan.media.durationSeconds.toFixed(2)} s by more than a segment`,
    );
  }
}

/** ffprobe of a rendition's first objects (init + first segment) joined as a player joins them. */
async function probeStart(
  d: StageDeps,
  playlist: string,
  keys: string[],
  recorded: Map<string, { md5: string }>,
): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'flix-validate-'));
  try {
    const parts: Buffer[] = [];
    for (const [i, key] of keys.entries()) {
      const rec = recorded.get(key);
      if (!rec) throw new Error(`${key} is named by ${playlist} but was never written`);
      await downloadChecked(d.s3, key, rec.md5, join(tmp, `part-${i}`));
      parts.push(await readFile(join(tmp, `part-${i}`)));
    }
    const joined = join(tmp, 'start.mp4');
    await writeFile(joined, Buffer.concat(parts));
    const info = await probeMedia(joined);
    if (!info.video && !info.audio) throw new Error(`${playlist} has neither video nor audio`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
