import { createHash } from 'node:crypto';
import type { ClusterEndpoints } from '../cluster/endpoints.js';
import { forEachLimited } from '../core/concurrency.js';
import { signedTitleUrl } from '../engines/edge/signing.js';

/**
 * Filling edges: every published object of a title pulled through an edge with signed URLs (each
 * checked against its size and MD5), so the first viewers hit a warm cache, then a HEAD per object
 * to check the edge now answers each one from its cache. What `flix prewarm` runs, and what a
 * service that distributes titles to the edges stands on.
 */

export type Edge = ClusterEndpoints['edges'][number];

export interface PrewarmObject {
  /** origin key, `titles/<id>/<path>` */
  key: string;
  bytes: number;
  /** hex MD5 recorded when the object was published */
  md5: string;
}

export interface PrewarmTitle {
  id: string;
  title: string;
  objects: PrewarmObject[];
}

export interface ObjectFailure {
  key: string;
  /** HTTP status, or null when the request itself failed */
  status: number | null;
  message: string;
}

export interface EdgeWarmReport {
  edge: string;
  zone: string;
  objects: number;
  /** fetched by the edge from the origin on this run (every X-Cache-Status but HIT) */
  fromOrigin: { objects: number; bytes: number };
  /** the edge already held them (X-Cache-Status: HIT) */
  alreadyCached: { objects: number; bytes: number };
  /** X-Cache-Status values seen on the warm pass and how often */
  cacheStatuses: Record<string, number>;
  /** a HEAD per object after warming: how many the edge answered from its cache */
  verify: { objects: number; hits: number; hitRatio: number | null };
  /** objects that did not come back whole (bad status, failed request, wrong size or MD5) */
  failures: ObjectFailure[];
  seconds: number;
}

export interface TitleWarmReport {
  id: string;
  title: string;
  objects: number;
  bytes: number;
  edges: EdgeWarmReport[];
}

export interface PrewarmProgress {
  titleId: string;
  edge: string;
  phase: 'warm' | 'verify';
  done: number;
  total: number;
  fromOriginBytes: number;
}

export interface PrewarmOptions {
  secret: string;
  /** unix seconds the signed URLs stay valid until */
  expiresAt: number;
  /** requests in flight per edge */
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: (p: PrewarmProgress) => void;
  /** side effects passed in, so tests run without a network */
  fetch?: typeof fetch;
  clock?: () => number;
  /** per request */
  timeoutMs?: number;
  /** awaited before each object is fetched (a fill's bandwidth limit) */
  beforeFetch?: (o: PrewarmObject) => Promise<void>;
  /** false: no HEAD pass after the fill (the caller checks the edge's cache itself) */
  verify?: boolean;
}

/** One GET through the edge as the warm pass saw it. */
export interface WarmResult {
  key: string;
  cacheStatus: string;
  bytes: number;
  failure: ObjectFailure | null;
}

/** Adds up a warm pass: bytes the edge pulled from the origin, bytes it already held. */
export function tallyWarm(
  results: WarmResult[],
): Pick<EdgeWarmReport, 'fromOrigin' | 'alreadyCached' | 'cacheStatuses' | 'failures'> {
  const fromOrigin = { objects: 0, bytes: 0 };
  const alreadyCached = { objects: 0, bytes: 0 };
  const cacheStatuses: Record<string, number> = {};
  const failures: ObjectFailure[] = [];
  for (const r of results) {
    if (r.failure) {
      failures.push(r.failure);
      continue;
    }
    cacheStatuses[r.cacheStatus] = (cacheStatuses[r.cacheStatus] ?? 0) + 1;
    const bucket = r.cacheStatus === 'HIT' ? alreadyCached : fromOrigin;
    bucket.objects += 1;
    bucket.bytes += r.bytes;
  }
  return { fromOrigin, alreadyCached, cacheStatuses, failures };
}

/** Warms one title on one edge, then verifies; never throws for a single object (see `failures`). */
export async function prewarmOnEdge(
  title: PrewarmTitle,
  edge: Edge,
  opts: PrewarmOptions,
): Promise<EdgeWarmReport> {
  const doFetch = opts.fetch ?? fetch;
  const clock = opts.clock ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const started = clock();
  const sign = (key: string) =>
    signedTitleUrl(edge.url, key, { secret: opts.secret, expiresAt: opts.expiresAt });
  const signal = () =>
    opts.signal
      ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
  const total = title.objects.length;
  const progress = (phase: PrewarmProgress['phase'], done: number, fromOriginBytes: number) =>
    opts.onProgress?.({ titleId: title.id, edge: edge.name, phase, done, total, fromOriginBytes });

  const results: WarmResult[] = [];
  let originBytes = 0;
  progress('warm', 0, 0);
  await forEachLimited(title.objects, opts.concurrency, async (o) => {
    await opts.beforeFetch?.(o);
    const r = await warmOne(doFetch, sign(o.key), o, signal);
    results.push(r);
    if (!r.failure && r.cacheStatus !== 'HIT') originBytes += r.bytes;
    progress('warm', results.length, originBytes);
  });
  opts.signal?.throwIfAborted();

  let hits = 0;
  let checked = 0;
  const verifyFailures: ObjectFailure[] = [];
  await forEachLimited(opts.verify === false ? [] : title.objects, opts.concurrency, async (o) => {
    try {
      const res = await doFetch(sign(o.key), { method: 'HEAD', signal: signal() });
      await res.arrayBuffer();
      if (res.status !== 200) {
        verifyFailures.push({ key: o.key, status: res.status, message: `HEAD answered ${res.status}` });
      } else if (res.headers.get('x-cache-status') === 'HIT') {
        hits += 1;
      }
    } catch (e) {
      opts.signal?.throwIfAborted();
      verifyFailures.push({ key: o.key, status: null, message: `HEAD failed: ${(e as Error).message}` });
    }
    checked += 1;
    progress('verify', checked, originBytes);
  });
  opts.signal?.throwIfAborted();

  const tally = tallyWarm(results);
  return {
    edge: edge.name,
    zone: edge.zone,
    objects: total,
    ...tally,
    failures: [...tally.failures, ...verifyFailures],
    verify: { objects: checked, hits, hitRatio: checked ? hits / checked : null },
    seconds: Math.round((clock() - started) / 10) / 100,
  };
}

async function warmOne(
  doFetch: typeof fetch,
  url: string,
  o: PrewarmObject,
  signal: () => AbortSignal,
): Promise<WarmResult> {
  const fail = (status: number | null, message: string): WarmResult => ({
    key: o.key,
    cacheStatus: '',
    bytes: 0,
    failure: { key: o.key, status, message },
  });
  let res: Response;
  try {
    res = await doFetch(url, { signal: signal() });
  } catch (e) {
    return fail(null, `GET failed: ${(e as Error).message}`);
  }
  if (res.status !== 200) {
    const body = (await res.text().catch(() => '')).slice(0, 200);
    return fail(res.status, `GET answered ${res.status}${body ? `: ${body.trim()}` : ''}`);
  }
  // read the whole body: nginx keeps a response in its cache only once it was read to the end
  const md5 = createHash('md5');
  let bytes = 0;
  try {
    for await (const chunk of res.body ?? []) {
      md5.update(chunk as Uint8Array);
      bytes += (chunk as Uint8Array).byteLength;
    }
  } catch (e) {
    return fail(200, `the body was cut off after ${bytes} B: ${(e as Error).message}`);
  }
  const cacheStatus = res.headers.get('x-cache-status') ?? 'NONE';
  if (bytes !== o.bytes) return fail(200, `${bytes} B came back, ${o.bytes} B were published`);
  const got = md5.digest('hex');
  if (got !== o.md5) return fail(200, `MD5 ${got} differs from the published ${o.md5}`);
  return { key: o.key, cacheStatus, bytes, failure: null };
}

/** Every title on every chosen edge, one edge at a time (each edge with `concurrency` requests in flight). */
export async function prewarm(
  titles: PrewarmTitle[],
  edges: Edge[],
  opts: PrewarmOptions,
): Promise<TitleWarmReport[]> {
  const out: TitleWarmReport[] = [];
  for (const t of titles) {
    const report: TitleWarmReport = {
      id: t.id,
      title: t.title,
      objects: t.objects.length,
      bytes: t.objects.reduce((a, o) => a + o.bytes, 0),
      edges: [],
    };
    for (const e of edges) report.edges.push(await prewarmOnEdge(t, e, opts));
    out.push(report);
  }
  return out;
}
