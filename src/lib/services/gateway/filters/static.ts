import type { Filter } from '../filter.js';

/** Endpoint: answers `/api/health` from the gateway itself. */
export function staticResponseFilter(options: { zone: string | null; instance: string }): Filter {
  const body = JSON.stringify({ status: 'ok', zone: options.zone, instance: options.instance });
  return {
    name: 'static-response',
    type: 'endpoint',
    order: 0,
    shouldFilter: (ctx) => ctx.path === '/api/health' && (ctx.method === 'GET' || ctx.method === 'HEAD'),
    apply(ctx) {
      ctx.response = {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body,
      };
    },
  };
}
