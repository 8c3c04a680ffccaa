/**
 * A viewer's side of the public API beyond playing (docs/control-plane.md): search, votes and
 * stats, comments — through the ELB with `Authorization: Bearer <token>`. Error answers become
 * FlixErrors that say what to do (apiError).
 */
import { FlixError } from '../../core/errors.js';
import type { CommentPage, CommentView } from '../../services/comments/contract.js';
import type { HistoryAnswer } from '../../services/history/contract.js';
import type { RecommendationsAnswer } from '../../services/recommendations/contract.js';
import type { SearchAnswer } from '../../services/search/contract.js';
import type { StatsAnswer, Vote, VoteAnswer } from '../../services/stats/contract.js';
import { apiError } from './api.js';

export interface Viewer {
  api: string;
  token: string;
  /** for error messages: who and which cluster */
  user?: string;
  cluster?: string;
}

/** One API call; the parsed answer, or a FlixError (unreachable, or the API's refusal). */
export async function viewerCall<T>(
  v: Viewer,
  what: string,
  method: string,
  path: string,
  opts: { body?: unknown; title?: string; timeoutMs?: number } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, v.api), {
      method,
      headers: {
        authorization: `Bearer ${v.token}`,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new FlixError(`the API at ${v.api} did not answer (${cause})`, {
      code: 'componentFailed',
      nextStep: '`flix status` shows whether the ELB and gateways are healthy',
    });
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: apiError says so by status
  }
  if (!res.ok) {
    throw apiError(what, res.status, json, {
      user: v.user,
      cluster: v.cluster,
      title: opts.title,
      retryAfter: res.headers.get('retry-after'),
    });
  }
  return json as T;
}

const seg = encodeURIComponent;

export function search(
  v: Viewer,
  q: { q: string; genre?: string; year?: number; limit?: number },
): Promise<SearchAnswer> {
  const params = new URLSearchParams({ q: q.q });
  if (q.genre) params.set('genre', q.genre);
  if (q.year !== undefined) params.set('year', String(q.year));
  if (q.limit !== undefined) params.set('limit', String(q.limit));
  return viewerCall(v, `searching for ${JSON.stringify(q.q)}`, 'GET', `/api/search?${params}`);
}

export function titleStats(v: Viewer, title: string): Promise<StatsAnswer> {
  return viewerCall(v, `the stats of '${title}'`, 'GET', `/api/stats/${seg(title)}`, { title });
}

/** Votes like or dislike, or with null removes the vote. */
export function vote(v: Viewer, title: string, to: Vote | null): Promise<VoteAnswer> {
  const what = to
    ? `${to === 'like' ? 'liking' : 'disliking'} '${title}'`
    : `removing the vote on '${title}'`;
  return to
    ? viewerCall(v, what, 'PUT', `/api/votes/${seg(title)}`, { body: { vote: to }, title })
    : viewerCall(v, what, 'DELETE', `/api/votes/${seg(title)}`, { title });
}

export function addComment(v: Viewer, title: string, text: string): Promise<CommentView> {
  return viewerCall(v, `commenting on '${title}'`, 'POST', `/api/comments/${seg(title)}`, {
    body: { text },
    title,
  });
}

export function listComments(
  v: Viewer,
  title: string,
  page: { limit?: number; cursor?: string },
): Promise<CommentPage> {
  const params = new URLSearchParams();
  if (page.limit !== undefined) params.set('limit', String(page.limit));
  if (page.cursor) params.set('cursor', page.cursor);
  const query = params.size ? `?${params}` : '';
  return viewerCall(v, `the comments on '${title}'`, 'GET', `/api/comments/${seg(title)}${query}`, { title });
}

export async function deleteComment(v: Viewer, title: string, id: string): Promise<void> {
  await viewerCall(v, `deleting comment ${id}`, 'DELETE', `/api/comments/${seg(title)}/${seg(id)}`, {
    title,
  });
}

export function history(v: Viewer): Promise<HistoryAnswer> {
  return viewerCall(v, 'your viewing history', 'GET', '/api/history');
}

export function recommendations(v: Viewer): Promise<RecommendationsAnswer> {
  return viewerCall(v, 'your recommendations', 'GET', '/api/recommendations');
}

export interface ShareLink {
  token: string;
  link: string;
  titleId: string;
  title: string;
  expiresAt: string;
}

export function share(v: Viewer, title: string, expiresInSeconds?: number): Promise<ShareLink> {
  return viewerCall(v, `sharing '${title}'`, 'POST', '/api/shares', {
    body: { title, ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }) },
    title,
  });
}

/** What a share link (or its token) shares; refused when forged (403) or expired (410). */
export function openShare(
  v: Viewer,
  token: string,
): Promise<{ titleId: string; title: string; sharedBy: string; expiresAt: string }> {
  return viewerCall(v, 'opening the share link', 'GET', `/api/shares/${encodeURIComponent(token)}`);
}
