import type { ServiceClient } from '../../../platform/service-client.js';
import type { Filter } from '../filter.js';
import type { GatewayMetrics } from '../metrics.js';
import { type Limiter, rateLimitFilter } from '../rate-limit.js';
import type { TopTitles } from '../top-titles.js';
import { authFilter, type VerifyToken } from './auth.js';
import { compressionFilter } from './compression.js';
import { diagnosticsFilter } from './diagnostics.js';
import { metricsFilter } from './metrics.js';
import { proxyFilter } from './proxy.js';
import { routingFilter, streamsBody } from './routing.js';
import { shardingFilter } from './sharding.js';
import { staticResponseFilter } from './static.js';
import type { TokenCache } from './token-cache.js';
import { traceFilter } from './trace.js';
import { validationFilter } from './validation.js';

export interface GatewayFilterDeps {
  instance: string;
  zone: string | null;
  maxBodyBytes: number;
  canaryPercent: number;
  perIp: Limiter;
  perUser: Limiter;
  tokens: TokenCache;
  verify: VerifyToken;
  services: ServiceClient;
  topTitles: TopTitles;
  metrics: GatewayMetrics;
  /** the OpenAPI document served at /api/openapi.json, as JSON text */
  openApi: string;
  /** where upstream failures are logged (with their trace ids) */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * The gateway's chain, in run order. Inbound: trace 0, rate-limit-ip 10, request-validation 20,
 * auth 30, rate-limit-user 40, routing 50, canary-sharding 60. Endpoint: static-response 0,
 * proxy 10. Outbound: diagnostics 10, compression 90, metrics 100.
 */
export function gatewayFilters(d: GatewayFilterDeps): Filter[] {
  const perUser = rateLimitFilter({
    limiter: d.perUser,
    name: 'rate-limit-user',
    order: 40,
    key: (ctx) => `user:${ctx.user?.id}`,
  });
  return [
    traceFilter(),
    rateLimitFilter({ limiter: d.perIp, name: 'rate-limit-ip', order: 10, key: (ctx) => ctx.clientIp }),
    validationFilter({ maxBodyBytes: d.maxBodyBytes }),
    authFilter({ cache: d.tokens, verify: d.verify }),
    // an upload's PATCHes and HEADs carry on what its creation (counted, and held to the upload
    // quota) started: counting them would cut a fast upload into new ones, since a tus client
    // starts over when it cannot ask where it was
    {
      ...perUser,
      shouldFilter: (ctx) =>
        ctx.user !== undefined &&
        !((ctx.method === 'PATCH' || ctx.method === 'HEAD') && streamsBody(ctx.path)),
    },
    routingFilter(),
    shardingFilter({ canaryPercent: d.canaryPercent }),
    staticResponseFilter({ zone: d.zone, instance: d.instance, openApi: d.openApi }),
    proxyFilter({
      services: d.services,
      fallbacks: { recommendations: (reason) => d.topTitles.fallback(reason) },
      log: d.log,
    }),
    diagnosticsFilter({ instance: d.instance }),
    compressionFilter(),
    metricsFilter(d.metrics),
  ];
}
