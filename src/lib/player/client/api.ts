/**
 * The player's side of the public API (docs/control-plane.md): `POST /api/play` and heartbeats,
 * through the ELB with `Authorization: Bearer <token>`. Error bodies `{error:{status,code,message}}`
 * become FlixErrors that say what to do.
 */
import { readFile } from 'node:fs/promises';
import { FlixError } from '../../core/errors.js';
import { userTokenFile } from '../../core/paths.js';
import { readErrorBody } from '../../platform/http/error-body.js';
import type { PlayAnswer, PlayAnswerEdge } from '../../services/playback/contract.js';
import type { PlayEdge } from './fetcher.js';
import type { Heartbeat } from './player.js';

/** The user's token from their token file; a usage error naming the fix when there is none. */
export async function readUserToken(
  cluster: string,
  user: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const file = userTokenFile(cluster, user, env);
  let token = '';
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!token) {
    throw new FlixError(`no API token for user '${user}' in cluster '${cluster}'`, {
      code: 'usage',
      details: `looked for ${file}`,
      nextStep: `\`flix users create ${user} --name ${cluster}\` creates the user and its token, or pass --token`,
    });
  }
  return token;
}

/** One edge of a play answer. */
export type { PlayAnswer, PlayAnswerEdge };

/** A started play: the answer, and when the request went out (performance.now() ms). */
export interface StartedPlay {
  answer: PlayAnswer;
  sentAtMs: number;
}

/**
 * The manifest URL of a play-answer edge for a protocol. The answer's URL is opaque: when it names
 * a manifest (`.m3u8`, `.mpd`) it is used as is; when it is a prefix (`.../titles/ID/`) the
 * packager's manifest name is appended.
 */
export function manifestUrl(edge: PlayAnswerEdge, protocol: 'hls' | 'dash'): string {
  const url = protocol === 'hls' ? edge.hls : edge.dash;
  const path = new URL(url).pathname;
  if (/\.(m3u8|mpd)$/i.test(path)) return url;
  return new URL(protocol === 'hls' ? 'master.m3u8' : 'manifest.mpd', url.endsWith('/') ? url : `${url}/`)
    .href;
}

/** The edges of a play answer, in rank order, as the fetcher takes them. */
export function playEdges(answer: PlayAnswer, protocol: 'hls' | 'dash'): PlayEdge[] {
  return [...answer.edges]
    .sort((a, b) => a.rank - b.rank)
    .map((e) => ({ name: e.name, zone: e.zone, url: manifestUrl(e, protocol) }));
}

/** Maps an API error answer to a FlixError the user can act on. Pure. */
export function apiError(
  what: string,
  status: number,
  body: unknown,
  ctx: { user?: string; cluster?: string; title?: string; retryAfter?: string | null } = {},
): FlixError {
  const e = readErrorBody(body);
  const code = e?.code;
  const message = e?.message;
  const details = [code ? `${status} ${code}` : `HTTP ${status}`, message].filter(Boolean).join(': ');
  const user = ctx.user ?? '<user>';
  const name = ctx.cluster ? ` --name ${ctx.cluster}` : '';
  switch (status) {
    case 400:
      return new FlixError(`${what} was refused as invalid`, { code: 'invalidInput', details });
    case 401:
      return new FlixError(`${what} was refused: the token is missing, invalid or expired`, {
        code: 'usage',
        details,
        nextStep: `\`flix users create ${user}${name}\` (a new user) or \`flix users token ${user}${name}\` (a new token), then play again`,
      });
    case 403:
      if (code === 'invalid-share')
        return new FlixError(`${what}: the link was not made by this cluster, or was changed`, {
          code: 'usage',
          details,
          nextStep: 'ask whoever shared it for a new link (`flix share TITLE --user USER`)',
        });
      return new FlixError(`${what} is forbidden for this user`, {
        code: 'usage',
        details,
        nextStep: `\`flix users list${name}\` shows the user's plan and subscription`,
      });
    case 404:
      if (code === 'no-route') {
        return new FlixError(`${what}: the gateway has no route for it`, {
          code: 'componentFailed',
          details,
          nextStep:
            'the playback API is not wired in this cluster yet: check `flix status` and the gateway routes',
        });
      }
      // another thing than the title may be missing (a comment, a play)
      if (ctx.title && code !== undefined && !['not-found', 'unknown-title'].includes(code))
        return new FlixError(`${what}: ${message || 'not found'}`, { code: 'notFound', details });
      return new FlixError(ctx.title ? `there is no title '${ctx.title}'` : `${what}: not found`, {
        code: 'notFound',
        details,
        nextStep: '`flix titles list` shows the titles ready to play',
      });
    case 409:
      return new FlixError(`${what} was refused: ${message || 'too many streams at once for the plan'}`, {
        code: 'conflict',
        details,
        nextStep:
          'stop another play of this user (or wait for it to stop sending heartbeats), or a bigger plan: `flix users plan <user> premium`',
      });
    case 410:
      return new FlixError(`${what}: ${message || 'it has expired'}`, {
        code: 'conflict',
        details,
        nextStep: 'ask whoever shared it for a new link (`flix share TITLE --user USER --expires 7d`)',
      });
    case 451:
      return new FlixError(`${ctx.title ? `'${ctx.title}'` : 'the title'} is not licensed in your region`, {
        code: 'conflict',
        details,
        nextStep: '`flix titles show <title>` lists the regions it is licensed in',
      });
    case 429:
      return new FlixError(
        `${what} was rate-limited${code === 'rate-limited' ? ' by the gateway' : `: ${message}`}`,
        {
          code: 'componentFailed',
          details,
          nextStep: ctx.retryAfter
            ? `retry after ${ctx.retryAfter} s (Retry-After)`
            : 'retry in a few seconds',
        },
      );
    default:
      return new FlixError(`${what} failed`, {
        code: 'componentFailed',
        details,
        nextStep: '`flix status` shows which services are unhealthy',
      });
  }
}

async function jsonBody<T>(res: Response): Promise<T | null> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function unreachable(api: string, e: unknown): FlixError {
  const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
  return new FlixError(`the API at ${api} did not answer (${cause})`, {
    code: 'componentFailed',
    nextStep: '`flix status` shows whether the ELB and gateways are healthy',
  });
}

/** `POST {api}/api/play`; checks the answer has what the player needs. */
export async function requestPlay(
  api: string,
  token: string,
  body: { title: string; protocol: 'hls' | 'dash'; device?: string },
  ctx: { user?: string; cluster?: string; timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<StartedPlay> {
  const doFetch = ctx.fetch ?? fetch;
  const sentAtMs = performance.now();
  let res: Response;
  try {
    res = await doFetch(new URL('/api/play', api), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ctx.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw unreachable(api, e);
  }
  const json = await jsonBody<PlayAnswer>(res);
  if (!res.ok) {
    throw apiError(`playing '${body.title}'`, res.status, json, {
      ...ctx,
      title: body.title,
      retryAfter: res.headers.get('retry-after'),
    });
  }
  if (!json || typeof json.playId !== 'string' || !Array.isArray(json.edges)) {
    throw new FlixError('the play answer is not what the API contract says', {
      code: 'componentFailed',
      details: JSON.stringify(json)?.slice(0, 300),
      nextStep: 'see docs/control-plane.md (POST /api/play answer); check the playback service logs',
    });
  }
  return {
    answer: {
      ...json,
      traceId: json.traceId ?? res.headers.get('x-b3-traceid') ?? '',
      position: Number(json.position) || 0,
    },
    sentAtMs,
  };
}

/** `POST {api}/api/play/{playId}/heartbeat`; throws an Error (never fatal to playback) on failure. */
export async function sendHeartbeat(
  api: string,
  token: string,
  playId: string,
  hb: Heartbeat & { sentAt?: number; device?: string },
  opts: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<void> {
  const doFetch = opts.fetch ?? fetch;
  const res = await doFetch(new URL(`/api/play/${encodeURIComponent(playId)}/heartbeat`, api), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(hb),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
  });
  if (!res.ok) {
    const code = readErrorBody(await jsonBody<unknown>(res))?.code;
    throw new Error(`heartbeat answered ${res.status}${code ? ` ${code}` : ''}`);
  }
  await res.body?.cancel().catch(() => {});
}

/** Tells the API the play is over (`DELETE /api/play/:playId`), so its stream slot is free at once. */
export async function endPlay(
  api: string,
  token: string,
  playId: string,
  opts: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<void> {
  const doFetch = opts.fetch ?? fetch;
  const res = await doFetch(new URL(`/api/play/${encodeURIComponent(playId)}`, api), {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
  });
  await res.body?.cancel().catch(() => {});
}
