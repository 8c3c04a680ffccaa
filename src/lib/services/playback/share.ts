import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Share links: a title id, who shared it and until when, signed with a key derived from the
 * cluster's internal key (HMAC-SHA256), as `<payload>.<signature>` in base64url. Anyone holding
 * the link may look at it; playing still needs their own token, their region's licence and the
 * title's visibility. Pure.
 */

export interface ShareClaims {
  titleId: string;
  sharedBy: string;
  /** unix seconds */
  expiresAt: number;
}

export type ShareCheck = { ok: true; claims: ShareClaims } | { ok: false; why: 'forged' | 'expired' };

/** The longest a share link may live: 30 days. */
export const MAX_SHARE_SECONDS = 30 * 86_400;

export function shareKey(internalKey: string): Buffer {
  return createHmac('sha256', internalKey).update('flix share links v1').digest();
}

export function signShare(key: Buffer, claims: ShareClaims): string {
  const payload = Buffer.from(JSON.stringify([claims.titleId, claims.sharedBy, claims.expiresAt])).toString(
    'base64url',
  );
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

export function verifyShare(
  key: Buffer,
  token: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): ShareCheck {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length > 0) return { ok: false, why: 'forged' };
  const expected = createHmac('sha256', key).update(payload).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, why: 'forged' };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, why: 'forged' };
  }
  if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string' || typeof v[2] !== 'number')
    return { ok: false, why: 'forged' };
  if (v[2] <= nowSeconds) return { ok: false, why: 'expired' };
  return { ok: true, claims: { titleId: v[0], sharedBy: v[1], expiresAt: v[2] } };
}
