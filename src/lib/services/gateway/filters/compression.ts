import { gzipSync } from 'node:zlib';
import type { Filter, RequestContext } from '../filter.js';

/** Bodies up to this size are sent as they are: gzip would not pay for itself. */
export const MIN_COMPRESS_BYTES = 1024;

/** True when `accept-encoding` accepts gzip (and does not refuse it with q=0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim() !== 'gzip' && coding?.trim() !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Should this response be gzipped? */
export function shouldCompress(ctx: RequestContext): boolean {
  const r = ctx.response;
  if (!r || ctx.method === 'HEAD' || r.status === 204 || r.status === 304) return false;
  if (r.headers['content-encoding']) return false;
  return Buffer.byteLength(r.body) > MIN_COMPRESS_BYTES && acceptsGzip(ctx.headers['accept-encoding']);
}

/** Outbound: gzips a body over 1 KiB when the client accepts gzip (a fast level: latency first). */
export function compressionFilter(): Filter {
  return {
    name: 'compression',
    type: 'outbound',
    order: 90,
    shouldFilter: shouldCompress,
    apply(ctx) {
      if (!ctx.response) return;
      ctx.encodedBody = gzipSync(ctx.response.body, { level: 4 });
      ctx.responseHeaders['content-encoding'] = 'gzip';
      ctx.responseHeaders.vary = 'accept-encoding';
    },
  };
}
