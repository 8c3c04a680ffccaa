import { setTimeout as sleep } from 'node:timers/promises';
import { FlixError } from '../core/errors.js';
import { clusterPaths } from '../core/paths.js';
import type { DistributionRun, DistributionStatus } from '../services/distribution/contract.js';
import type { DataPlane } from './ingest.js';
import { serviceCall } from './operator.js';
import { assertReady, chooseEdges } from './prewarm.js';
import { resolveTitle } from './titles.js';

/** `flix distribute`: the distribution service's placements, evictions and edges. */

export interface EvictResult {
  titleId: string;
  title: string;
  edges: Array<{ edge: string; zone: string; objects: number }>;
}

/**
 * `flix distribute evict`: a title's objects deleted from the edges' caches (every edge, or one
 * zone's), through the service so it never races a fill; the next placement puts it back if it
 * is still wanted there.
 */
export async function evictTitle(plane: DataPlane, idOrName: string, zone?: string): Promise<EvictResult> {
  const t = await resolveTitle(plane, idOrName);
  assertReady(t);
  const edges = chooseEdges(plane.endpoints.edges, zone).map((e) => e.name);
  const r = await serviceCall<Omit<EvictResult, 'title'>>(
    plane.endpoints.name,
    'distribution',
    'POST',
    '/v1/evictions',
    { titleId: t.id, edges },
  );
  return { ...r, title: t.title };
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
