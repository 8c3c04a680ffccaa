import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, FlixError } from '../../core/errors.js';
import { userTokenFile } from '../../core/paths.js';
import { apiError, manifestUrl, type PlayAnswer, playEdges, readUserToken } from './api.js';

describe('userTokenFile and readUserToken', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'flix-play-test-'));
    env = { FLIX_HOME: home };
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('reads $FLIX_HOME/clusters/<name>/tokens/<user>, trimmed', async () => {
    expect(userTokenFile('demo', 'alice', env)).toBe(join(home, 'clusters', 'demo', 'tokens', 'alice'));
    await mkdir(join(home, 'clusters', 'demo', 'tokens'), { recursive: true });
    await writeFile(userTokenFile('demo', 'alice', env), 'tok123\n');
    expect(await readUserToken('demo', 'alice', env)).toBe('tok123');
  });

  it('without a token file: a usage error that says to run flix users create', async () => {
    const err = await readUserToken('demo', 'bob', env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlixError);
    expect((err as FlixError).exitCode).toBe(ExitCode.usage);
    expect((err as FlixError).render()).toMatch(/flix users create bob --name demo/);
  });
});

describe('apiError', () => {
  const body = (status: number, code: string) => ({ error: { status, code, message: `m-${code}` } });
  const cases: Array<[number, string, keyof typeof ExitCode, RegExp]> = [
    [401, 'expired-token', 'usage', /token is missing, invalid or expired[\s\S]*flix users token alice/],
    [403, 'forbidden', 'usage', /forbidden/],
    [404, 'not-found', 'notFound', /no title 'Big Trip'/],
    [404, 'no-route', 'componentFailed', /no route/],
    [404, 'unknown-comment', 'notFound', /m-unknown-comment/],
    [451, 'not-licensed', 'conflict', /not licensed in your region/],
    [403, 'invalid-share', 'usage', /not made by this cluster, or was changed/],
    [410, 'share-expired', 'conflict', /m-share-expired[\s\S]*new link/],
    [429, 'rate-limited', 'componentFailed', /rate-limited by the gateway[\s\S]*retry after 7 s/],
    [429, 'too-many-comments', 'componentFailed', /rate-limited: m-too-many-comments[\s\S]*retry after 7 s/],
    [400, 'invalid-request', 'invalidInput', /invalid/],
    [503, 'circuit-open', 'componentFailed', /503 circuit-open: m-circuit-open/],
  ];
  it.each(cases)('%i %s', (status, code, exit, text) => {
    const e = apiError("playing 'Big Trip'", status, body(status, code), {
      user: 'alice',
      title: 'Big Trip',
      retryAfter: '7',
    });
    expect(e.exitCode).toBe(ExitCode[exit]);
    expect(e.render()).toMatch(text);
  });

  it('copes with a body that is not the error shape', () => {
    expect(apiError('x', 502, null).render()).toMatch(/HTTP 502/);
  });
});

describe('manifestUrl and playEdges', () => {
  const edge = (name: string, rank: number, base: string) => ({
    name,
    zone: name,
    rank,
    reason: 'test',
    hls: `${base}/hls/master.m3u8`,
    dash: `${base}/dash/manifest.mpd`,
  });

  it('takes a manifest URL as is, and appends the manifest name to a prefix', () => {
    expect(manifestUrl(edge('a', 1, 'http://e/v/1/t/titles/x'), 'dash')).toBe(
      'http://e/v/1/t/titles/x/dash/manifest.mpd',
    );
    const prefix = { ...edge('a', 1, ''), hls: 'http://e/v/1/t/titles/x/', dash: 'http://e/v/1/t/titles/x' };
    expect(manifestUrl(prefix, 'hls')).toBe('http://e/v/1/t/titles/x/master.m3u8');
    expect(manifestUrl(prefix, 'dash')).toBe('http://e/v/1/t/titles/x/manifest.mpd');
  });

  it('orders the edges by rank', () => {
    const answer = {
      edges: [edge('b', 2, 'http://b'), edge('a', 1, 'http://a')],
    } as unknown as PlayAnswer;
    expect(playEdges(answer, 'hls')).toEqual([
      { name: 'a', zone: 'a', url: 'http://a/hls/master.m3u8' },
      { name: 'b', zone: 'b', url: 'http://b/hls/master.m3u8' },
    ]);
  });
});
