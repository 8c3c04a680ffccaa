import { cryptoRandom, type RandomSource, resolveTrace } from '../../../platform/tracing.js';
import type { Filter } from '../filter.js';

/**
 * Inbound, first: accepts the caller's B3 trace or starts one. The proxy passes a child span
 * upstream (`x-b3-*`), and every answer carries `x-b3-traceid`.
 */
export function traceFilter(random: RandomSource = cryptoRandom): Filter {
  return {
    name: 'trace',
    type: 'inbound',
    order: 0,
    shouldFilter: () => true,
    apply(ctx) {
      ctx.trace = resolveTrace(ctx.headers, random);
      ctx.responseHeaders['x-b3-traceid'] = ctx.trace.traceId;
    },
  };
}
