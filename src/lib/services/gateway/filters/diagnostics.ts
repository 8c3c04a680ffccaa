import type { Filter } from '../filter.js';

/** The `server-timing` value: the upstream call and the whole gateway, in ms. */
export function serverTiming(upstreamMs: number | undefined, totalMs: number): string {
  const parts: string[] = [];
  if (upstreamMs !== undefined) parts.push(`upstream;dur=${upstreamMs.toFixed(1)}`);
  parts.push(`gateway;dur=${totalMs.toFixed(1)}`);
  return parts.join(', ');
}

/** Outbound: says which gateway and which upstream instance answered, and how long each took. */
export function diagnosticsFilter(options: { instance: string }): Filter {
  return {
    name: 'diagnostics',
    type: 'outbound',
    order: 10,
    shouldFilter: () => true,
    apply(ctx) {
      ctx.responseHeaders['x-flix-gateway'] = options.instance;
      if (ctx.upstream) ctx.responseHeaders['x-flix-upstream'] = ctx.upstream.instance;
      ctx.responseHeaders['server-timing'] = serverTiming(
        ctx.upstream?.ms,
        performance.now() - ctx.startedAt,
      );
    },
  };
}
