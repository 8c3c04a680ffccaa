import { readPlan } from '../cluster/endpoints.js';
import { edgeCacheDir, heldObjects } from '../engines/edge/cache.js';
import type { Tier } from '../services/distribution/contract.js';
import { getTier } from '../services/distribution/store.js';
import type { ObjectRow } from '../services/orchestrator/store.js';
import type { DataPlane } from './ingest.js';

/** What each edge's disk holds of a title, and the tier the distribution service gave it. */

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
