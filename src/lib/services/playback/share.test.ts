import { describe, expect, it } from 'vitest';
import { shareTokenOf } from './contract.js';
import { shareKey, signShare, verifyShare } from './share.js';

describe('share links', () => {
  const key = shareKey('cluster-internal-key');
  const claims = { titleId: 'big-trip-3fa9c2', sharedBy: 'u_alice', expiresAt: 2_000_000_000 };
  const token = signShare(key, claims);

  it('verify what they were signed with until they expire', () => {
    expect(verifyShare(key, token, 1_900_000_000)).toEqual({ ok: true, claims });
    expect(verifyShare(key, token, 2_000_000_000)).toEqual({ ok: false, why: 'expired' });
  });

  it('refuse a changed payload, a changed signature, another cluster and junk', () => {
    const [payload, sig] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify(['other-title', 'u_alice', 2_000_000_000])).toString(
      'base64url',
    );
    expect(verifyShare(key, `${other}.${sig}`, 0).ok).toBe(false);
    expect(verifyShare(key, `${payload}.${sig.slice(0, -2)}AA`, 0).ok).toBe(false);
    expect(verifyShare(shareKey('another-cluster'), token, 0).ok).toBe(false);
    for (const junk of ['', '.', 'a.b.c', 'not-a-token'])
      expect(verifyShare(key, junk, 0)).toEqual({ ok: false, why: 'forged' });
  });

  it('take the token out of a link', () => {
    expect(shareTokenOf(`http://127.0.0.1:8080/api/shares/${token}`)).toBe(token);
    expect(shareTokenOf(token)).toBe(token);
  });
});
