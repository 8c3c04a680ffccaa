import type { Filter } from '../filter.js';

/** The canary header: `1`/`always`/`true` sends to a canary, `0`/`never`/`false` never does. */
export const CANARY_HEADER = 'x-flix-canary';

/**
 * Rule-based traffic sharding: the header decides when it says yes or no; otherwise
 * `canaryPercent` of requests go to a canary (`random()` in [0, 1)).
 */
export function wantsCanary(
  header: string | undefined,
  canaryPercent: number,
  random: () => number,
): boolean {
  const h = header?.trim().toLowerCase();
  if (h === '1' || h === 'always' || h === 'true') return true;
  if (h === '0' || h === 'never' || h === 'false') return false;
  return canaryPercent > 0 && random() * 100 < canaryPercent;
}

/**
 * Inbound, after routing: marks the route for a canary instance. The service client falls back to
 * the normal instances when the service has no canary.
 */
export function shardingFilter(options: { canaryPercent: number; random?: () => number }): Filter {
  const random = options.random ?? Math.random;
  return {
    name: 'canary-sharding',
    type: 'inbound',
    order: 60,
    shouldFilter: (ctx) => ctx.route !== undefined,
    apply(ctx) {
      if (ctx.route && wantsCanary(ctx.headers[CANARY_HEADER], options.canaryPercent, random)) {
        ctx.route.canary = true;
      }
    },
  };
}
