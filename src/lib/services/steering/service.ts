import { z } from 'zod';
import { readPlan } from '../../cluster/endpoints.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { Router, reply, validate } from '../../platform/http/router.js';
import { EdgeMonitor, edgesFromPlan } from './edge-monitor.js';
import { rankEdges } from './rank.js';

const steerRequest = z.strictObject({
  titleId: z.string().min(1).max(64),
  zone: z.string().min(1).max(8),
});
const edgeReport = z.strictObject({ edge: z.string().min(1).max(64) });

/**
 * The steering service: ranks the cluster's edges for one client and title — healthy first, then
 * edges already holding the title, then the client's zone, then the least loaded.
 *
 *   POST /v1/steer {titleId, zone} → {edges: [{name, zone, url, rank, healthy, sameZone, holdsTitle, load, reason}]}
 *   POST /v1/edges/failed {edge}   → a client saw the edge fail: ranked last until its next good probe
 *   GET  /v1/edges                  what steering knows about every edge
 */
export async function startSteeringService(ctx: ServiceContext): Promise<ServiceHandle> {
  const plan = await readPlan(ctx.cluster);
  const edges = edgesFromPlan(plan?.components ?? []);
  const monitor = new EdgeMonitor(edges);
  await monitor.start();
  const urls = new Map(edges.map((e) => [e.name, e.url]));
  let steered = 0;

  const router = new Router()
    .post('/v1/steer', async (req) => {
      const body = validate(steerRequest, req.body);
      steered++;
      const candidates = await monitor.candidates(body.titleId);
      const ranked = rankEdges({ clientZone: body.zone, titleId: body.titleId }, candidates);
      return {
        edges: ranked.map((r) => ({
          name: r.edge.name,
          zone: r.edge.zone,
          url: urls.get(r.edge.name),
          rank: r.rank,
          healthy: r.healthy,
          sameZone: r.sameZone,
          holdsTitle: r.holdsTitle,
          load: r.load,
          reason: r.reason,
        })),
      };
    })
    .post('/v1/edges/failed', (req) => {
      monitor.reportFailure(validate(edgeReport, req.body).edge);
      return reply(204);
    })
    .get('/v1/edges', () => ({ edges: monitor.snapshot() }));

  return {
    router,
    async stop() {
      monitor.stop();
    },
    status: () => ({ steered, edges: monitor.snapshot() }),
  };
}
