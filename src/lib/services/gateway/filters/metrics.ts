import type { Filter } from '../filter.js';
import type { GatewayMetrics } from '../metrics.js';

/** Outbound, last: counts the request by route and status and records its latency. */
export function metricsFilter(metrics: GatewayMetrics): Filter {
  return {
    name: 'metrics',
    type: 'outbound',
    order: 100,
    shouldFilter: () => true,
    apply(ctx) {
      const route = ctx.route?.name ?? (ctx.path === '/api/health' ? 'health' : '-');
      metrics.record(route, ctx.response?.status ?? 404, performance.now() - ctx.startedAt, ctx.upstream?.ms);
    },
  };
}
