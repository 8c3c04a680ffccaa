import { createHash, timingSafeEqual } from 'node:crypto';
import { FlixError } from '../../core/errors.js';

/**
 * Signed edge URLs (docs/control-plane.md, "Signed edge URLs"), in the form the edge's nginx
 * secure_link module checks:
 *
 *   url   = `${edge}/v/${expires}/${cap}/${token}/titles/${titleId}/${path}`
 *   token = base64url-without-padding( MD5( `${expires}/${cap}/titles/${titleId}/ ${secret}` ) )
 *
 * `expires` is a unix time in seconds; `cap` the tallest rendition the link opens (a plan's
 * limit: `480` opens `video/480p/` and below, never `video/720p/`), 0 for every rendition. The
 * signature covers the whole title prefix, so the relative URLs inside HLS playlists and DASH
 * manifests resolve to URLs that are signed too. The edge answers 403 to a bad token, to an
 * expired one, to a rendition above the cap and to every unsigned path.
 */

export interface SigningOptions {
  secret: string;
  /** Unix time in seconds; the link still works during this second and fails after it. */
  expiresAt: number;
  /** The tallest rendition (its short side: 480 for `480p`) the link opens; 0 or absent: all. */
  maxHeight?: number;
}

export interface VerifyOptions {
  secret: string;
  /** Unix time in seconds. */
  now: number;
}

/** The outcome of checking a path as the edge does; every `ok: false` is a 403 at the edge. */
export type SecureLinkCheck =
  | { ok: true; expiresAt: number; maxHeight: number; titleId: string; objectKey: string }
  | { ok: false; reason: 'unsigned' | 'forbidden' | 'above-plan'; detail: string }
  | { ok: false; reason: 'expired'; expiresAt: number };

/** The edge's signed location, the same expression as the `location ~` in edge.conf. */
export const SIGNED_PATH = /^\/v\/(\d+)\/(\d{1,5})\/([A-Za-z0-9_-]+)\/titles\/([^/]+)\/(.*)$/;

/** A rendition directory of a package and its rung: `video/720p/…` → 720. */
export const RENDITION_PATH = /^video\/(\d+)p\//;

/**
 * Characters a secret may hold. It is pasted into a quoted nginx string where `$` would start a
 * variable and `"` or `\` would end or escape the string, so the set is kept to safe ASCII.
 */
const SECRET_CHARS = /^[A-Za-z0-9._~+/=-]+$/;
/** Title ids are slugs (`big-trip-3fa9c2`); anything else would need escaping in the URL. */
const TITLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The token of the title prefix `/titles/<titleId>/` for `cap`, expiring at `expiresAt`. */
export function titleToken(titleId: string, expiresAt: number, secret: string, cap = 0): string {
  assertEdgeSecret(secret);
  checkTitleId(titleId);
  checkExpiry(expiresAt);
  checkCap(cap);
  return createHash('md5').update(`${expiresAt}/${cap}/titles/${titleId}/ ${secret}`).digest('base64url');
}

/**
 * The signed prefix of a title on the edge at `edgeBase` (e.g. `http://127.0.0.1:8081`), ending
 * in `/titles/<titleId>/`, so `new URL('master.m3u8', prefix)` is a signed URL.
 */
export function signTitlePrefix(edgeBase: string, titleId: string, options: SigningOptions): string {
  const base = parseBase(edgeBase);
  const cap = options.maxHeight ?? 0;
  const token = titleToken(titleId, options.expiresAt, options.secret, cap);
  return `${base}/v/${options.expiresAt}/${cap}/${token}/titles/${titleId}/`;
}

/**
 * The signed URL of a published object, given by its origin key `titles/<titleId>/<path>`.
 * Each segment of `<path>` is percent-encoded; nginx decodes it back to the same key.
 */
export function signedTitleUrl(edgeBase: string, objectKey: string, options: SigningOptions): string {
  const m = /^titles\/([^/]+)\/(.+)$/.exec(objectKey);
  const segments = m?.[2]?.split('/') ?? [];
  if (!m || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new FlixError(`cannot sign ${JSON.stringify(objectKey)}: not a published object key`, {
      code: 'invalidInput',
      nextStep: 'sign a key of the form titles/<titleId>/<path> without empty, "." or ".." segments',
    });
  }
  const prefix = signTitlePrefix(edgeBase, m[1] as string, options);
  return prefix + segments.map(encodeURIComponent).join('/');
}

/** Whether a path inside a title is open under `cap`: every path but a rendition above it. */
export function openUnderCap(path: string, cap: number): boolean {
  if (cap === 0) return true;
  const m = RENDITION_PATH.exec(path);
  return !m || Number(m[1]) <= cap;
}

/**
 * Checks a URL or path as the edge does: the path is normalised and decoded (nginx's $uri), must
 * match SIGNED_PATH (else 'unsigned'), the token must be the MD5 of its expiry, cap, title prefix
 * and the secret (else 'forbidden'), the expiry must not have passed (`expires < now` is
 * 'expired'), and a rendition must not be above the cap ('above-plan').
 */
export function verifySignedPath(signed: string, options: VerifyOptions): SecureLinkCheck {
  let uri: string;
  try {
    uri = decodeURIComponent(new URL(signed, 'http://edge.invalid').pathname);
  } catch {
    return { ok: false, reason: 'forbidden', detail: 'the path is not valid percent-encoding' };
  }
  const m = SIGNED_PATH.exec(uri);
  if (!m)
    return { ok: false, reason: 'unsigned', detail: 'not a /v/<expires>/<cap>/<token>/titles/<id>/ path' };
  const [, expiresRaw, capRaw, token, titleId, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const expiresAt = Number(expiresRaw);
  // nginx: a zero or unparsable expiry, or a token that is not 16 base64url bytes, is a bad link
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) {
    return { ok: false, reason: 'forbidden', detail: 'expires is not a unix time' };
  }
  if (!/^[A-Za-z0-9_-]{22}$/.test(token)) {
    return { ok: false, reason: 'forbidden', detail: 'the token is not a base64url MD5' };
  }
  const given = Buffer.from(token, 'base64url');
  // expiry and cap exactly as written in the URL (nginx hashes the text, leading zeros included)
  const expected = createHash('md5')
    .update(`${expiresRaw}/${capRaw}/titles/${titleId}/ ${options.secret}`)
    .digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: 'forbidden',
      detail: 'the token does not match the expiry, cap, title and secret',
    };
  }
  if (expiresAt < options.now) return { ok: false, reason: 'expired', expiresAt };
  const maxHeight = Number(capRaw);
  if (!openUnderCap(rest, maxHeight)) {
    return { ok: false, reason: 'above-plan', detail: `the link opens renditions up to ${maxHeight}p` };
  }
  return { ok: true, expiresAt, maxHeight, titleId, objectKey: `titles/${titleId}/${rest}` };
}

/** Throws unless `secret` can be pasted into the edge's nginx config as it is. */
export function assertEdgeSecret(secret: string): void {
  if (!SECRET_CHARS.test(secret)) {
    throw new FlixError('the edge signing secret is empty or has characters nginx would misread', {
      code: 'invalidConfig',
      nextStep: 'use only letters, digits and . _ ~ + / = - in edgeSigningKey (secrets.json of the cluster).',
    });
  }
}

function checkTitleId(titleId: string): void {
  if (!TITLE_ID.test(titleId)) {
    throw new FlixError(`cannot sign title id ${JSON.stringify(titleId)}`, {
      code: 'invalidInput',
      nextStep: 'title ids are made of letters, digits, ".", "_" and "-" (see `flix titles list`)',
    });
  }
}

function checkCap(cap: number): void {
  if (!Number.isSafeInteger(cap) || cap < 0 || cap > 99_999) {
    throw new FlixError(`a rendition cap is a height from 0 to 99999, got ${cap}`, { code: 'invalidInput' });
  }
}

function checkExpiry(expiresAt: number): void {
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) {
    throw new FlixError(`expiresAt must be a unix time in whole seconds, got ${expiresAt}`, {
      code: 'invalidInput',
    });
  }
}

/** The edge origin without a trailing slash. */
function parseBase(base: string): string {
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
  return url.origin;
}
