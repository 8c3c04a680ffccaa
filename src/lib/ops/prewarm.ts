import { createHash } from 'node:crypto';
import type { ClusterEndpoints } from '../cluster/endpoints.js';
import { FlixError } from '../core/errors.js';
import { signedTitleUrl } from '../engines/edge/signing.js';
import { topTitles } from '../services/catalog/popularity.js';
import type { TitleRow } from '../services/catalog/store.js';
import { listObjects } from '../services/orchestrator/store.js';
import type { DataPlane } from './ingest.js';
import { resolveTitle } from './titles.js';

/**
 * `flix prewarm`: pull every published object of a title through chosen edges with signed URLs,
 * so the first viewers hit a warm cache, then check with a HEAD per object that the edge now
 * answers each one from its cache.
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
}

/** The edges to warm: all of them, or those of one zone. */
export function chooseEdges(edges: Edge[], zone?: string): Edge[] {
  if (edges.length === 0) {
    throw new FlixError('the cluster runs no edge', {
      code: 'invalidConfig',
      nextStep: 'enable engines.edge in the cluster file and `flix up` again',
    });
  }
  if (zone === undefined) return edges;
  const chosen = edges.filter((e) => e.zone === zone);
  if (chosen.length === 0) {
    throw new FlixError(`no edge in zone '${zone}'`, {
      code: 'usage',
      nextStep: `the cluster's edges are in zone(s) ${[...new Set(edges.map((e) => e.zone))].join(', ')}`,
    });
  }
  return chosen;
}

/** Refuses a title that is not published, naming what to do instead. */
export function assertReady(t: Pick<TitleRow, 'id' | 'status'>): void {
  if (t.status === 'ready') return;
  if (t.status === 'failed') {
    throw new FlixError(`title ${t.id} failed to publish; there is nothing to prewarm`, {
      code: 'jobFailed',
      nextStep: `\`flix titles show ${t.id}\` shows the error`,
    });
  }
  throw new FlixError(
    `title ${t.id} is not ready (it is ${t.status}); only published titles can be prewarmed`,
    {
      code: 'invalidInput',
      nextStep: `wait until \`flix titles show ${t.id}\` says ready, then prewarm again`,
    },
  );
}

/** The titles `--title X` or `--top N` stand for, with their published objects. */
export async function prewarmTitles(
  plane: DataPlane,
  pick: { title: string } | { top: number },
): Promise<PrewarmTitle[]> {
  const rows: Array<{ id: string; title: string }> = [];
  if ('title' in pick) {
    const t = await resolveTitle(plane, pick.title);
    assertReady(t);
    rows.push(t);
  } else {
    rows.push(...(await topTitles(plane.db, pick.top)));
  }
  const out: PrewarmTitle[] = [];
  for (const r of rows) {
    const objects = (await listObjects(plane.db, r.id)).map((o) => ({
      key: o.key,
      bytes: o.bytes,
      md5: o.md5,
    }));
    out.push({ id: r.id, title: r.title, objects });
  }
  return out;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; the first error stops new calls and is thrown. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
    const r = await warmOne(doFetch, sign(o.key), o, signal);
    results.push(r);
    if (!r.failure && r.cacheStatus !== 'HIT') originBytes += r.bytes;
    progress('warm', results.length, originBytes);
  });
  opts.signal?.throwIfAborted();

  let hits = 0;
  let checked = 0;
  const verifyFailures: ObjectFailure[] = [];
  await forEachLimited(title.objects, opts.concurrency, async (o) => {
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
    verify: { objects: total, hits, hitRatio: total ? hits / total : null },
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

/** A FlixError naming the objects that did not warm, or null when every object did. */
export function failuresError(reports: TitleWarmReport[]): FlixError | null {
  const lines: string[] = [];
  let n = 0;
  for (const t of reports) {
    for (const e of t.edges) {
      for (const f of e.failures) {
        n += 1;
        if (lines.length < 10) lines.push(`  ${e.edge} ${f.key}: ${f.message}`);
      }
    }
  }
  if (n === 0) return null;
  return new FlixError(`${n} object fetch(es) through the edges failed`, {
    code: 'componentFailed',
    details: [...lines, ...(n > lines.length ? [`  … and ${n - lines.length} more`] : [])].join('\n'),
    nextStep: '`flix status` shows whether the edges and the origin are healthy; then prewarm again',
  });
}
