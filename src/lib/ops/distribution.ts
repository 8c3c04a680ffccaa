import { setTimeout as sleep } from 'node:timers/promises';
import { readPlan } from '../cluster/endpoints.js';
import { FlixError } from '../core/errors.js';
import { clusterPaths } from '../core/paths.js';
import { edgeCacheDir, heldObjects } from '../engines/edge/cache.js';
import type { DistributionRun, DistributionStatus, Tier } from '../services/distribution/contract.js';
import { getTier } from '../services/distribution/store.js';
import type { ObjectRow } from '../services/orchestrator/store.js';
import type { DataPlane } from './ingest.js';
import { serviceCall } from './operator.js';

/**
 * `flix distribute` and the distribution part of `flix titles show`: the distribution service's
 * runs and placements, and what each edge's disk holds of a title.
 */

export interface TitleOnEdge {
  edge: string;
  zone: string;
  /** the title's objects the edge's cache holds, of `objects` */
  heldObjects: number;
  objects: number;
  heldBytes: number;
  /** every object is on the edge: its first viewer is served from the cache */
  distributed: boolean;
}

export interface TitleDistribution {
  /** hot: on every edge it is licensed for; warm: on some; origin: on none (served uncached); null: not placed yet */
  tier: Tier | null;
  /** the edges the last placement put it on */
  placedOn: string[];
  decidedAt: string | null;
  edges: TitleOnEdge[];
}

/** What every edge holds of one title (read from the edges' disks) and its tier. */
export async function titleDistribution(
  plane: DataPlane,
  titleId: string,
  objects: readonly ObjectRow[],
): Promise<TitleDistribution> {
  const plan = await readPlan(plane.endpoints.name);
  const edges = (plan?.components ?? []).filter((c) => c.engine === 'edge');
  const keys = objects.map((o) => o.key);
  const tier = await getTier(plane.db, titleId);
  return {
    tier: tier?.tier ?? null,
    placedOn: tier?.edges ?? [],
    decidedAt: tier?.decidedAt ?? null,
    edges: await Promise.all(
      edges.map(async (c) => {
        const held = await heldObjects(edgeCacheDir(c.dataDir), keys);
        return {
          edge: c.name,
          zone: c.zone ?? '',
          heldObjects: held.objects,
          objects: keys.length,
          heldBytes: held.bytes,
          distributed: keys.length > 0 && held.objects === keys.length,
        };
      }),
    ),
  };
}

/** `flix distribute status`: per edge its budget, what it holds and its predicted hit ratio. */
export function distributionStatus(cluster: string): Promise<DistributionStatus> {
  return serviceCall<DistributionStatus>(cluster, 'distribution', 'GET', '/v1/edges');
}

/**
 * `flix distribute --now`: the placement the nightly window would run, run at once; waits for it
 * (it shares one queue with the placements publishes ask for) and returns what it did.
 */
export async function runDistribution(
  cluster: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (run: DistributionRun) => void },
): Promise<DistributionRun> {
  const { run } = await serviceCall<{ run: DistributionRun }>(cluster, 'distribution', 'POST', '/v1/runs', {
    reason: 'operator',
  });
  const deadline = Date.now() + opts.timeoutMs;
  let current = run;
  while (current.state === 'queued' || current.state === 'running') {
    opts.onProgress?.(current);
    if (Date.now() > deadline) {
      throw new FlixError(
        `the placement ${run.id} is still ${current.state} after ${opts.timeoutMs / 1000} s`,
        {
          code: 'timeout',
          nextStep: '`flix distribute status` shows what the edges hold meanwhile; the placement goes on',
        },
      );
    }
    await sleep(250, undefined, { signal: opts.signal });
    current = (
      await serviceCall<{ run: DistributionRun }>(cluster, 'distribution', 'GET', `/v1/runs/${run.id}`)
    ).run;
  }
  if (current.state === 'failed') {
    throw new FlixError(`the placement failed: ${current.error}`, {
      code: 'componentFailed',
      nextStep: `the service's log (${clusterPaths(cluster).logs}/distribution-1.log) says more; \`flix status\` shows the engines`,
    });
  }
  return current;
}
