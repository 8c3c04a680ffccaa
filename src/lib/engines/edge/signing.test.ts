import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlixError } from '../../core/errors.js';
import {
  assertEdgeSecret,
  SIGNED_PATH,
  signedTitleUrl,
  signTitlePrefix,
  titleToken,
  verifySignedPath,
} from './signing.js';

const secret = 's3cr3t-Key';
const id = 'big-trip-3fa9c2';
const edge = 'http://127.0.0.1:8081';
const far = 2147483647;

describe('signed edge URLs', () => {
  it('matches vectors checked with `printf %s ... | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =`', () => {
    // printf '%s' '2147483647/0/titles/big-trip-3fa9c2/ s3cr3t-Key' | openssl md5 -binary | ...
    expect(titleToken(id, far, secret)).toBe('0PyzYizLjH_C9tENXXCqIg');
    // printf '%s' '1700000000/480/titles/t1/ s' | openssl md5 -binary | ...
    expect(titleToken('t1', 1700000000, 's', 480)).toBe('GB-GNhUO3FQKZvcvyfsuWA');
    expect(signTitlePrefix(`${edge}/`, id, { secret, expiresAt: far })).toBe(
      `${edge}/v/2147483647/0/0PyzYizLjH_C9tENXXCqIg/titles/big-trip-3fa9c2/`,
    );
  });

  it('hashes exactly "<expires>/<cap>/titles/<id>/ <secret>" (node:crypto, by hand)', () => {
    const byHand = createHash('md5')
      .update(`1000/0/titles/${id}/ ${secret}`)
      .digest('base64')
      .replace(/=+$/, '')
      .replaceAll('+', '-')
      .replaceAll('/', '_');
    expect(titleToken(id, 1000, secret)).toBe(byHand);
    expect(byHand).toBe('qshuaTJ78v1WP6GeGIuMFQ');
  });

  it('gives a prefix that relative manifest URLs resolve under, still signed', () => {
    const prefix = signTitlePrefix(edge, id, { secret, expiresAt: far });
    const master = new URL('hls/master.m3u8', prefix).toString();
    expect(master).toBe(`${prefix}hls/master.m3u8`);
    // a rendition playlist names its segments relative to itself
    const segment = new URL('seg-00001.m4s', new URL('360p/index.m3u8', master)).toString();
    expect(verifySignedPath(segment, { secret, now: 1700000000 })).toEqual({
      ok: true,
      expiresAt: far,
      maxHeight: 0,
      titleId: id,
      objectKey: `titles/${id}/hls/360p/seg-00001.m4s`,
    });
    // and one that climbs out of hls/ into the shared segments stays under the title
    const shared = new URL('../../cmaf/360p/seg-00001.m4s', `${prefix}hls/360p/index.m3u8`).toString();
    expect(verifySignedPath(shared, { secret, now: 0 })).toMatchObject({
      ok: true,
      objectKey: `titles/${id}/cmaf/360p/seg-00001.m4s`,
    });
  });

  it('signs object keys, percent-encoding each path segment', () => {
    const opts = { secret, expiresAt: far };
    const prefix = signTitlePrefix(edge, id, opts);
    expect(signedTitleUrl(edge, `titles/${id}/dash/manifest.mpd`, opts)).toBe(`${prefix}dash/manifest.mpd`);
    const odd = signedTitleUrl(edge, `titles/${id}/subs/café 1.vtt`, opts);
    expect(odd).toBe(`${prefix}subs/caf%C3%A9%201.vtt`);
    expect(verifySignedPath(odd, { secret, now: 0 })).toMatchObject({
      ok: true,
      objectKey: `titles/${id}/subs/café 1.vtt`,
    });
    for (const bad of [
      'originals/x/source.mp4',
      `titles/${id}/`,
      `titles/${id}`,
      `titles/${id}/a//b`,
      `titles/${id}/../x`,
    ]) {
      expect(() => signedTitleUrl(edge, bad, opts), bad).toThrow(FlixError);
    }
  });

  it('verifies until and including the expiry second, then reports expired only for a good token', () => {
    const url = signedTitleUrl(edge, `titles/${id}/hls/master.m3u8`, { secret, expiresAt: 1000 });
    expect(verifySignedPath(url, { secret, now: 999 }).ok).toBe(true);
    expect(verifySignedPath(url, { secret, now: 1000 }).ok).toBe(true);
    expect(verifySignedPath(url.slice(edge.length), { secret, now: 1000 }).ok).toBe(true);
    expect(verifySignedPath(url, { secret, now: 1001 })).toEqual({
      ok: false,
      reason: 'expired',
      expiresAt: 1000,
    });
    expect(verifySignedPath(url, { secret: 'other', now: 1001 })).toMatchObject({ reason: 'forbidden' });
  });

  it('rejects a tampered token, title, expiry or secret, and unsigned paths', () => {
    const url = signedTitleUrl(edge, `titles/${id}/hls/master.m3u8`, { secret, expiresAt: far });
    const now = 1700000000;
    const forbidden = { ok: false, reason: 'forbidden' };
    const token = titleToken(id, far, secret);
    const flipped = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    expect(verifySignedPath(url.replace(token, flipped), { secret, now })).toMatchObject(forbidden);
    expect(verifySignedPath(url.replace(id, 'other-title-000000'), { secret, now })).toMatchObject(forbidden);
    expect(verifySignedPath(url.replace(`/v/${far}/`, `/v/${far - 1}/`), { secret, now })).toMatchObject(
      forbidden,
    );
    expect(verifySignedPath(url.replace(`/v/${far}/`, `/v/0${far}/`), { secret, now })).toMatchObject(
      forbidden,
    );
    expect(verifySignedPath(url.replace(`/v/${far}/`, '/v/0/'), { secret, now })).toMatchObject(forbidden);
    // a link for one plan cannot be turned into a link for a bigger one
    expect(verifySignedPath(url.replace(`/v/${far}/0/`, `/v/${far}/2160/`), { secret, now })).toMatchObject(
      forbidden,
    );
    expect(verifySignedPath(url, { secret: 's3cr3t-Kez', now })).toMatchObject(forbidden);
    expect(verifySignedPath(url.replace(token, token.slice(1)), { secret, now })).toMatchObject(forbidden);
    // a path that climbs out of a signed title into another is checked against the other title
    const climb = url.replace('hls/master.m3u8', '../other-title-000000/hls/master.m3u8');
    expect(verifySignedPath(climb, { secret, now })).toMatchObject(forbidden);
    for (const unsigned of [
      `/flix-origin/titles/${id}/hls/master.m3u8`,
      `/titles/${id}/x`,
      '/',
      '/v/1/x/titles/',
      `/v/${far}/${token}/titles/${id}/master.m3u8`,
    ]) {
      expect(verifySignedPath(unsigned, { secret, now }), unsigned).toMatchObject({
        ok: false,
        reason: 'unsigned',
      });
    }
    // padding is not part of the form the edge accepts
    expect(verifySignedPath(url.replace(token, `${token}==`), { secret, now })).toMatchObject({ ok: false });
  });

  it('refuses a bad base, title id, expiry or secret', () => {
    const opts = { secret, expiresAt: far };
    expect(() => signTitlePrefix('http://127.0.0.1:8081/edge', id, opts)).toThrow('without a path');
    expect(() => signTitlePrefix('not a url', id, opts)).toThrow('is not a URL');
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'café', '-x?y']) {
      expect(() => signTitlePrefix(edge, bad, opts), bad).toThrow('cannot sign title id');
    }
    for (const bad of [1.5, 0, -1, Number.NaN]) {
      expect(() => titleToken(id, bad, secret), String(bad)).toThrow('whole seconds');
    }
    for (const bad of ['', 'has space', 'a$b', 'a"b', 'a\\b', 'a;b']) {
      expect(() => titleToken(id, far, bad), bad).toThrow('characters nginx would misread');
      expect(() => assertEdgeSecret(bad), bad).toThrow(FlixError);
    }
    expect(() => assertEdgeSecret('Zx9_-abc')).not.toThrow();
  });

  it('opens the renditions up to the cap, and everything else of the title', () => {
    const opts = { secret, expiresAt: far, maxHeight: 480 };
    const at = (path: string) =>
      verifySignedPath(signedTitleUrl(edge, `titles/${id}/${path}`, opts), { secret, now: 0 });
    for (const open of [
      'master-480p.m3u8',
      'video/480p/seg-00001.m4s',
      'video/240p/init.mp4',
      'audio/stereo/seg-00001.m4s',
      'poster.jpg',
    ]) {
      expect(at(open), open).toMatchObject({ ok: true, maxHeight: 480 });
    }
    for (const closed of ['video/720p/seg-00001.m4s', 'video/1080p/init.mp4', 'video/1080p/playlist.m3u8']) {
      expect(at(closed), closed).toMatchObject({ ok: false, reason: 'above-plan' });
    }
    // climbing out of an open rendition into a closed one is judged by where it lands
    const climb = signedTitleUrl(edge, `titles/${id}/video/480p/seg-00001.m4s`, opts).replace(
      'video/480p/',
      'video/480p/../1080p/',
    );
    expect(verifySignedPath(climb, { secret, now: 0 })).toMatchObject({ ok: false, reason: 'above-plan' });
  });

  it('uses the same location expression as the edge template', async () => {
    const { readFile } = await import('node:fs/promises');
    const conf = await readFile(new URL('../../../../templates/nginx/edge.conf', import.meta.url), 'utf8');
    const location = /location ~ "(\^\/v\/[^"]+)"/.exec(conf)?.[1];
    expect(location).toBeDefined();
    // the template names its captures; without the names it is this module's expression
    expect((location as string).replace(/\?<[a-z_]+>/g, '')).toBe(SIGNED_PATH.source.replaceAll('\\/', '/'));
  });
});
