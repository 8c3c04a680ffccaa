import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';
import { clusterSecrets } from '../../cluster/secrets.js';
import { FlixError } from '../../core/errors.js';
import { mysqlPool } from '../../engines/mysql/client.js';
import { runningClusterEndpoints } from '../../runtime/index.js';
import { listTitles } from '../../services/catalog/store.js';
import { HistoryStore } from '../../services/history/store.js';
import { RecsStore } from '../../services/recommendations/store.js';
import {
  DenseIds,
  holdOut,
  plantedViewingSet,
  popularityRecs,
  type Score,
  scoreAt,
  type View,
  type ViewingSet,
} from './evaluate.js';
import { runSparkJob } from './spark.js';

export interface TrainOptions {
  /** train on the cluster's viewing history and write the rows; or measure on a planted set */
  source: { cluster: string } | { synthetic: { users: number; titles: number; seed: number } };
  k: number;
  /** the weight of genre similarity against ALS in the blend, 0..1 */
  blend: number;
  signal?: AbortSignal;
}

export interface TrainReport {
  source: 'cluster' | 'synthetic';
  views: number;
  users: number;
  titles: number;
  k: number;
  /** the model trained without the held-out views, scored on them */
  model: Score;
  /** the most watched unseen titles, scored on the same held-out views */
  popularity: Score;
  beatsPopularity: boolean;
  /** rows written to Cassandra (cluster only) */
  wrote: { users: number; titles: number } | null;
  seconds: number;
}

/**
 * `flix recs train`: implicit ALS on Spark blended with genre similarity. The model is measured
 * by training once without a held-out fifth of each user's views and scoring precision/recall at
 * k on them against the popularity baseline; on a cluster it is then trained on everything and
 * its per-user picks and per-title similar titles are written to Cassandra for the
 * recommendations service.
 */
export async function trainRecs(opts: TrainOptions, onLine: (line: string) => void): Promise<TrainReport> {
  const started = Date.now();
  const cluster = 'cluster' in opts.source ? opts.source.cluster : null;
  const endpoints = cluster ? await runningClusterEndpoints(cluster) : null;
  const set =
    cluster && endpoints
      ? await clusterViewingSet(cluster, endpoints)
      : plantedViewingSet({ ...('synthetic' in opts.source ? opts.source.synthetic : {}) });
  if (set.views.length === 0) {
    throw new FlixError('there is no viewing history to train on yet', {
      code: 'notFound',
      nextStep:
        'play some titles (`flix play TITLE --user alice`), or measure on a planted set: `flix recs train --synthetic`',
    });
  }
  const users = new Set(set.views.map((v) => v.user)).size;
  onLine(`${set.views.length} views by ${users} users of ${set.genres.size} titles`);
  const split = holdOut(set.views);
  const work = await mkdtemp(join(tmpdir(), 'flix-recs-'));
  try {
    const evalIds = await prepare(join(work, 'eval'), split.train, set, opts);
    const fullIds = cluster ? await prepare(join(work, 'full'), set.views, set, opts) : null;
    await runSparkJob([join(work, 'eval'), ...(cluster ? [join(work, 'full')] : [])], onLine, opts.signal);

    const model = scoreAt(
      await readRows(join(work, 'eval', 'recs.tsv'), evalIds.users, evalIds.titles),
      split.heldOut,
      opts.k,
    );
    const popularity = scoreAt(popularityRecs(split.train, opts.k), split.heldOut, opts.k);
    let wrote: TrainReport['wrote'] = null;
    if (endpoints && fullIds) {
      const picks = await readRows(join(work, 'full', 'recs.tsv'), fullIds.users, fullIds.titles);
      const similar = await readRows(join(work, 'full', 'similar.tsv'), fullIds.titles, fullIds.titles);
      const store = await RecsStore.connect(endpoints.cassandra as string);
      try {
        await store.writeTraining(picks, similar, new Date());
      } finally {
        await store.close();
      }
      wrote = { users: picks.size, titles: similar.size };
    }
    return {
      source: cluster ? 'cluster' : 'synthetic',
      views: set.views.length,
      users,
      titles: set.genres.size,
      k: opts.k,
      model,
      popularity,
      beatsPopularity: model.precision > popularity.precision,
      wrote,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Write one training directory as the Spark job reads it; the dense ids to read its answer. */
async function prepare(
  dir: string,
  views: readonly View[],
  set: ViewingSet,
  opts: TrainOptions,
): Promise<{ users: DenseIds; titles: DenseIds }> {
  await mkdir(dir, { recursive: true });
  const users = new DenseIds();
  const titles = new DenseIds();
  for (const t of set.genres.keys()) titles.id(t);
  await writeFile(
    join(dir, 'train.tsv'),
    views.map((v) => `${users.id(v.user)}\t${titles.id(v.title)}\t${v.weight.toFixed(4)}\n`).join(''),
  );
  await writeFile(
    join(dir, 'genres.tsv'),
    [...set.genres]
      .flatMap(([t, gs]) => gs.map((g) => `${titles.id(t)}\t${g.replace(/\s/g, ' ')}\n`))
      .join(''),
  );
  const params = {
    items: titles.names.length,
    k: opts.k,
    blend: opts.blend,
    rank: 12,
    iterations: 12,
    alpha: 20,
    reg: 0.1,
    seed: 1,
  };
  await writeFile(
    join(dir, 'params.tsv'),
    Object.entries(params)
      .map(([k, v]) => `${k}\t${v}\n`)
      .join(''),
  );
  return { users, titles };
}

async function readRows(file: string, keys: DenseIds, values: DenseIds): Promise<Map<string, string[]>> {
  const rows = new Map<string, string[]>();
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [k, vs] = line.split('\t');
    if (!k) continue;
    rows.set(keys.name(Number(k)), vs ? vs.split(',').map((v) => values.name(Number(v))) : []);
  }
  return rows;
}

/**
 * The cluster's viewing history as a viewing set: one view per user and title, weighted by the
 * share of the title watched, and every ready title's genres.
 */
async function clusterViewingSet(cluster: string, endpoints: ClusterEndpoints): Promise<ViewingSet> {
  if (!endpoints.cassandra) {
    throw new FlixError(`cluster '${cluster}' runs no Cassandra, so it keeps no viewing history`, {
      code: 'invalidConfig',
    });
  }
  const db = mysqlPool(endpoints, await clusterSecrets(cluster));
  const genres = new Map<string, string[]>();
  const duration = new Map<string, number>();
  try {
    for (const t of await listTitles(db)) {
      if (t.status !== 'ready') continue;
      genres.set(t.id, t.genres);
      const d = Number((t.media as { durationSeconds?: unknown }).durationSeconds);
      if (d > 0) duration.set(t.id, d);
    }
  } finally {
    await db.end();
  }
  const history = await HistoryStore.connect(endpoints.cassandra);
  const views: View[] = [];
  try {
    for await (const { userId, entries } of history.everyUsersHistory()) {
      for (const e of entries) {
        if (!genres.has(e.titleId)) continue;
        const d = duration.get(e.titleId);
        views.push({
          user: userId,
          title: e.titleId,
          weight: d ? Math.min(1, Math.max(0.05, e.position / d)) : 1,
        });
      }
    }
  } finally {
    await history.close();
  }
  return { views, genres };
}
