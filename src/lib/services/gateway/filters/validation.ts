import { jsonError } from '../errors.js';
import type { Filter, RequestContext } from '../filter.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest path segment accepted (an id or a title name), after decoding. */
export const MAX_SEGMENT_CHARS = 200;
/** Largest streamed request (one PATCH of an upload; clients send files in chunks of a few MiB). */
export const MAX_STREAM_BYTES = 64 * 1024 * 1024;

/** Most path segments accepted. */
export const MAX_SEGMENTS = 16;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why a path is refused, or null when every segment is a sound parameter: percent-encoding that
 * decodes, no `.`/`..`, no encoded slash or control character, bounded lengths.
 */
export function pathProblem(path: string): string | null {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length > MAX_SEGMENTS) return `the path has more than ${MAX_SEGMENTS} segments`;
  for (const raw of segments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return `path segment "${raw.slice(0, 40)}" is not valid percent-encoding`;
    }
    if (segment === '.' || segment === '..') return 'the path has a "." or ".." segment';
    if (segment.includes('/') || segment.includes('\\')) return 'a path segment holds an encoded slash';
    if (CONTROL.test(segment)) return 'a path segment holds a control character';
    // characters, not UTF-16 units: a 200-character title in emoji is still a title
    if (segment.length > MAX_SEGMENT_CHARS && [...segment].length > MAX_SEGMENT_CHARS)
      return `a path segment is longer than ${MAX_SEGMENT_CHARS} characters`;
  }
  return null;
}

/** True when the request says its body is JSON (`application/json`, `application/x+json`). */
export function declaresJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Inbound: refuses what no service should see — a body over `maxBodyBytes` (400
 * `body-too-large`; a streamed upload chunk over `maxStreamBytes`, 413), a declared JSON body that does not parse (400 `malformed-json`), a body that
 * is not JSON at all or a bad path parameter (400 `invalid-request`) — and parses the JSON body
 * once for the proxy.
 */
export function validationFilter(options: { maxBodyBytes: number; maxStreamBytes?: number }): Filter {
  const { maxBodyBytes } = options;
  const maxStreamBytes = options.maxStreamBytes ?? MAX_STREAM_BYTES;
  return {
    name: 'request-validation',
    type: 'inbound',
    order: 20,
    shouldFilter: () => true,
    apply(ctx: RequestContext) {
      if (ctx.stream && ctx.bodySize > maxStreamBytes) {
        ctx.response = jsonError(
          413,
          'body-too-large',
          `an upload request carries at most ${maxStreamBytes} bytes; send the file in smaller chunks`,
          { maxStreamBytes },
        );
        return;
      }
      if (!ctx.stream && ctx.bodySize > maxBodyBytes) {
        ctx.response = jsonError(
          400,
          'body-too-large',
          `the request body is ${ctx.bodySize} bytes or more; at most ${maxBodyBytes} are accepted`,
          { maxBodyBytes },
        );
        return;
      }
      const problem = pathProblem(ctx.path);
      if (problem) {
        ctx.response = jsonError(400, 'invalid-request', problem);
        return;
      }
      const body = ctx.body;
      if (!body || body.length === 0) return;
      if (!declaresJson(ctx.headers['content-type'])) {
        ctx.response = jsonError(
          400,
          'invalid-request',
          'the API takes JSON bodies: send content-type: application/json',
        );
        return;
      }
      let text: string;
      try {
        text = strictUtf8.decode(body);
      } catch {
        ctx.response = jsonError(400, 'invalid-request', 'the request body is not valid UTF-8');
        return;
      }
      try {
        ctx.json = JSON.parse(text);
      } catch {
        ctx.response = jsonError(400, 'malformed-json', 'the request body is not valid JSON');
      }
    },
  };
}
