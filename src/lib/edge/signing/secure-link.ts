import { createHash, timingSafeEqual } from 'node:crypto';
import { FlixError } from '../../errors.js';

/**
 * Signed edge URLs in the format nginx's secure_link module checks (ngx_http_secure_link_module):
 *
 *   md5     = base64url-without-padding( MD5( `${expires}${uri} ${secret}` ) )
 *   url     = `${base}${uri}?md5=${md5}&expires=${expires}`
 *
 * where `uri` is nginx's `$uri` (the decoded, normalised path, no query) and `expires` is a unix
 * time in seconds. The edge rejects a bad hash with 403 and an expired link with 410.
 */

/**
 * What the edge template must contain, inside the `location` that serves media. `{{secret}}` is
 * the placeholder the template fills (see renderSecureLinkConfig). nginx sets $secure_link to ""
 * when the hash does not match and to "0" when it matches but `expires` has passed.
 */
export const SECURE_LINK_NGINX_SNIPPET = `secure_link $arg_md5,$arg_expires;
secure_link_md5 "$secure_link_expires$uri {{secret}}";
if ($secure_link = "") { return 403; }
if ($secure_link = "0") { return 410; }
`;

export interface SigningOptions {
  secret: string;
  /** Unix time in seconds; the link still works during this second and fails after it. */
  expiresAt: number;
}

export interface VerifyOptions {
  secret: string;
  /** Unix time in seconds. */
  now: number;
}

/** The outcome of checking a signed path, named after what nginx would answer. */
export type SecureLinkCheck =
  | { ok: true; expiresAt: number }
  | { ok: false; reason: 'forbidden'; detail: string }
  | { ok: false; reason: 'expired'; expiresAt: number };

/**
 * Characters a secret may hold. It is pasted into a quoted nginx string where `$` would start a
 * variable and `"` or `\` would end or escape the string, so the set is kept to safe ASCII.
 */
const SECRET_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

/** The `md5` query value for `uri` (nginx's $uri) expiring at `expiresAt`. */
export function secureLinkHash(uri: string, expiresAt: number, secret: string): string {
  checkSecret(secret);
  return createHash('md5').update(`${expiresAt}${uri} ${secret}`).digest('base64url');
}

/**
 * A signed URL for `path` on the edge at `base` (an origin such as `http://localhost:8081`).
 * `path` must be exactly what nginx will see as $uri: absolute, already normal, and made only of
 * characters a URL carries unescaped, so the signed string and the edge's string are the same.
 */
export function signUrl(base: string, path: string, options: SigningOptions): string {
  checkExpiry(options.expiresAt);
  const url = parseBase(base);
  url.pathname = path;
  if (!path.startsWith('/') || url.pathname !== path || path.includes('//') || path.includes('%')) {
    throw new FlixError(`cannot sign ${JSON.stringify(path)}: the edge would see a different path`, {
      code: 'invalidInput',
      nextStep: 'sign an absolute path without "//", ".", "..", "%", spaces, "?" or "#".',
    });
  }
  const md5 = secureLinkHash(path, options.expiresAt, options.secret);
  url.search = `?md5=${md5}&expires=${options.expiresAt}`;
  return url.toString();
}

/**
 * Checks a signed URL or path-with-query as the edge would: the hash first (any mismatch, missing
 * or malformed parameter is 'forbidden'), then the expiry (`expires < now` is 'expired').
 */
export function verifySignedPath(signed: string, options: VerifyOptions): SecureLinkCheck {
  const url = new URL(signed, 'http://edge.invalid');
  const md5 = url.searchParams.get('md5');
  const expiresRaw = url.searchParams.get('expires');
  if (md5 === null || expiresRaw === null) return forbidden('md5 or expires is missing');
  // 16 bytes of base64url; nginx also takes the padded form
  if (!/^[A-Za-z0-9_-]{22}(==)?$/.test(md5)) return forbidden('md5 is not a base64url MD5');
  if (!/^[0-9]+$/.test(expiresRaw) || Number(expiresRaw) <= 0) return forbidden('expires is not a unix time');
  const expiresAt = Number(expiresRaw);
  let uri: string;
  try {
    uri = decodeURIComponent(url.pathname);
  } catch {
    return forbidden('the path is not valid percent-encoding');
  }
  const given = Buffer.from(md5, 'base64url');
  const expected = createHash('md5').update(`${expiresRaw}${uri} ${options.secret}`).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return forbidden('the md5 does not match the path, expiry and secret');
  }
  if (expiresAt < options.now) return { ok: false, reason: 'expired', expiresAt };
  return { ok: true, expiresAt };
}

/** SECURE_LINK_NGINX_SNIPPET with the secret filled in, for the edge template. */
export function renderSecureLinkConfig(secret: string): string {
  checkSecret(secret);
  return SECURE_LINK_NGINX_SNIPPET.replace('{{secret}}', secret);
}

function forbidden(detail: string): SecureLinkCheck {
  return { ok: false, reason: 'forbidden', detail };
}

function checkSecret(secret: string): void {
  if (!SECRET_CHARS.test(secret)) {
    throw new FlixError('the edge signing secret is empty or has characters nginx would misread', {
      code: 'invalidConfig',
      nextStep: 'use only letters, digits and . _ ~ + / = - in the secret (e.g. `openssl rand -base64 32`).',
    });
  }
}

function checkExpiry(expiresAt: number): void {
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) {
    throw new FlixError(`expiresAt must be a unix time in whole seconds, got ${expiresAt}`, {
      code: 'invalidInput',
    });
  }
}

function parseBase(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch (cause) {
    throw new FlixError(`${JSON.stringify(base)} is not a URL`, { code: 'invalidInput', cause });
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new FlixError(`edge base ${base} must be an origin without a path, query or fragment`, {
      code: 'invalidInput',
    });
  }
  return url;
}
