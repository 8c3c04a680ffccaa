import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, REGION_HEADER, Router } from '../../platform/http/router.js';
import type { CatalogTitle } from '../catalog/contract.js';
import { buildRows } from './rows.js';

/**
 * The recommendations service: the rows of a viewer's home page, built from the catalog (called
 * under isolation, in the viewer's region). The gateway falls back to a static top 10 when this
 * service fails or its breaker is open.
 *
 *   GET /v1/recommendations → {rows: [{name, titles: [{id, title}]}]}
 */
export async function startRecommendationsService(ctx: ServiceContext): Promise<ServiceHandle> {
  let served = 0;
  const router = new Router().get('/v1/recommendations', async (req) => {
    if (!req.userId)
      throw new HttpError(401, 'missing-user', 'recommendations are per user; call through the gateway');
    const region = (req.headers[REGION_HEADER] as string | undefined) ?? null;
    const answer = await ctx.services.call<{ titles: Array<CatalogTitle & { licensed: boolean }> }>(
      'catalog',
      {
        path: '/v1/titles?limit=100',
        trace: req.trace,
        userId: req.userId,
        region,
      },
    );
    if (answer.status !== 200)
      throw new HttpError(502, 'catalog-refused', `catalog answered ${answer.status}`);
    served++;
    return { rows: buildRows(answer.body.titles), degraded: false };
  });
  return {
    router,
    async stop() {},
    status: () => ({ served, breakers: ctx.services.snapshot() }),
  };
}
