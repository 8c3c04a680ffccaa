import type { Filter } from '../filter.js';

/** Endpoint: answers `/api/health` and `/api/openapi.json` (the document, as JSON text) from the gateway itself. */
export function staticResponseFilter(options: {
  zone: string | null;
  instance: string;
  openApi: string;
}): Filter {
  const bodies: Record<string, { body: string; cache: string }> = {
    '/api/health': {
      body: JSON.stringify({ status: 'ok', zone: options.zone, instance: options.instance }),
      cache: 'no-store',
    },
    '/api/openapi.json': { body: options.openApi, cache: 'public, max-age=60' },
  };
  return {
    name: 'static-response',
    type: 'endpoint',
    order: 0,
    shouldFilter: (ctx) => ctx.path in bodies && (ctx.method === 'GET' || ctx.method === 'HEAD'),
    apply(ctx) {
      const answer = bodies[ctx.path] as { body: string; cache: string };
      ctx.response = {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': answer.cache },
        body: answer.body,
      };
    },
  };
}
