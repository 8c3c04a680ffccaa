import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlixError } from '../../errors.js';
import {
  renderSecureLinkConfig,
  SECURE_LINK_NGINX_SNIPPET,
  secureLinkHash,
  signUrl,
  verifySignedPath,
} from './secure-link.js';

const secret = 's3cr3t-Key';
const path = '/titles/t1/1080p/seg-00001.m4s';
const expiresAt = 2147483647;

describe('secure link signing', () => {
  it('matches a vector computed by hand with node:crypto in the nginx format', () => {
    const md5 = createHash('md5').update(`1700000000/a s`).digest('base64').replace(/=+$/, '');
    const urlSafe = md5.replaceAll('+', '-').replaceAll('/', '_');
    expect(secureLinkHash('/a', 1700000000, 's')).toBe(urlSafe);
    expect(signUrl('http://edge-1:8081', '/a', { secret: 's', expiresAt: 1700000000 })).toBe(
      `http://edge-1:8081/a?md5=${urlSafe}&expires=1700000000`,
    );
  });

  it('matches vectors checked with `openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =`', () => {
    // printf '%s' '2147483647/titles/t1/1080p/seg-00001.m4s s3cr3t-Key' | openssl md5 -binary | ...
    expect(signUrl('http://localhost:8081/', path, { secret, expiresAt })).toBe(
      'http://localhost:8081/titles/t1/1080p/seg-00001.m4s?md5=NvovgQ9Y9FQ7Y2AgjmbswA&expires=2147483647',
    );
    // printf '%s' '1700000000/a s' | openssl md5 -binary | ...
    expect(secureLinkHash('/a', 1700000000, 's')).toBe('suZJEFJNnAaxgQ5n4szOxA');
  });

  it('verifies its own links, until and including the expiry second', () => {
    const url = signUrl('http://localhost:8081', path, { secret, expiresAt: 1000 });
    expect(verifySignedPath(url, { secret, now: 999 })).toEqual({ ok: true, expiresAt: 1000 });
    expect(verifySignedPath(url, { secret, now: 1000 })).toEqual({ ok: true, expiresAt: 1000 });
    const pathOnly = url.slice('http://localhost:8081'.length);
    expect(verifySignedPath(pathOnly, { secret, now: 1000 }).ok).toBe(true);
    // nginx accepts the padded form of the hash too
    expect(verifySignedPath(pathOnly.replace('&', '==&'), { secret, now: 1000 }).ok).toBe(true);
  });

  it('reports an expired link only when the hash is right', () => {
    const url = signUrl('http://localhost:8081', path, { secret, expiresAt: 1000 });
    expect(verifySignedPath(url, { secret, now: 1001 })).toEqual({
      ok: false,
      reason: 'expired',
      expiresAt: 1000,
    });
    expect(verifySignedPath(url, { secret: 'other', now: 1001 })).toMatchObject({ reason: 'forbidden' });
  });

  it('rejects a tampered path, a moved expiry, a wrong secret and missing or malformed parameters', () => {
    const url = signUrl('http://localhost:8081', path, { secret, expiresAt });
    const now = 1700000000;
    const forbidden = { ok: false, reason: 'forbidden' };
    expect(verifySignedPath(url.replace('seg-00001', 'seg-00002'), { secret, now })).toMatchObject(forbidden);
    expect(
      verifySignedPath(url.replace('expires=2147483647', 'expires=2147483646'), { secret, now }),
    ).toMatchObject(forbidden);
    expect(verifySignedPath(url, { secret: 's3cr3t-Kez', now })).toMatchObject(forbidden);
    expect(verifySignedPath(path, { secret, now })).toMatchObject(forbidden);
    expect(verifySignedPath(url.replace('md5=', 'md5=!'), { secret, now })).toMatchObject(forbidden);
    expect(verifySignedPath(url.replace('expires=', 'expires=-'), { secret, now })).toMatchObject(forbidden);
  });

  it('refuses to sign a path the edge would see differently, or a bad base, expiry or secret', () => {
    const sign = (p: string) => () => signUrl('http://localhost:8081', p, { secret, expiresAt });
    for (const bad of ['titles/x', '/a/../b', '/a/./b', '/a//b', '/a b', '/a%41', '/a?x=1', '/a#x']) {
      expect(sign(bad), bad).toThrow(FlixError);
    }
    expect(() => signUrl('http://localhost:8081/edge', '/a', { secret, expiresAt })).toThrow(
      'without a path',
    );
    expect(() => signUrl('not a url', '/a', { secret, expiresAt })).toThrow('is not a URL');
    expect(() => signUrl('http://localhost:8081', '/a', { secret, expiresAt: 1.5 })).toThrow('whole seconds');
    for (const bad of ['', 'has space', 'a$b', 'a"b', 'a\\b']) {
      expect(() => secureLinkHash('/a', expiresAt, bad), bad).toThrow('characters nginx would misread');
    }
  });

  it('documents the nginx directives and fills the secret in', () => {
    expect(SECURE_LINK_NGINX_SNIPPET).toContain('secure_link $arg_md5,$arg_expires;');
    expect(SECURE_LINK_NGINX_SNIPPET).toContain('secure_link_md5 "$secure_link_expires$uri {{secret}}";');
    const rendered = renderSecureLinkConfig(secret);
    expect(rendered).toContain(`secure_link_md5 "$secure_link_expires$uri ${secret}";`);
    expect(rendered).not.toContain('{{secret}}');
    expect(() => renderSecureLinkConfig('a$b')).toThrow(FlixError);
  });
});
