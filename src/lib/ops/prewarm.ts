import { clusterSecrets } from '../cluster/secrets.js';
import { FlixError } from '../core/errors.js';
import {
  type Edge,
  type EdgeWarmReport,
  type PrewarmProgress,
  type PrewarmTitle,
  prewarm,
  type TitleWarmReport,
} from '../platform/edge-fill.js';
import type { TitleRow } from '../services/catalog/store.js';
import { topTitles } from '../services/catalog/store.js';
import { listObjects } from '../services/orchestrator/store.js';
import type { DataPlane } from './ingest.js';
import { resolveTitle } from './titles.js';

/**
 * `flix prewarm`: which titles and edges the operator asked for, filled through the edges (see
 * edge-fill), and the failures as one error the operator can act on.
 */

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

/** How long the signed URLs a prewarm fetches with stay valid. */
const LINK_SECONDS = 3600;

export interface PrewarmResult {
  cluster: string;
  edges: string[];
  titles: TitleWarmReport[];
  fromOriginBytes: number;
  alreadyCachedBytes: number;
}

/** `flix prewarm`: the titles asked for, through the edges of every zone (or one). */
export async function runPrewarm(
  plane: DataPlane,
  pick: { title: string } | { top: number },
  opts: {
    zone?: string;
    concurrency: number;
    signal?: AbortSignal;
    onProgress?: (p: PrewarmProgress) => void;
  },
): Promise<PrewarmResult> {
  const edges = chooseEdges(plane.endpoints.edges, opts.zone);
  const titles = await prewarmTitles(plane, pick);
  const { edgeSigningKey } = await clusterSecrets(plane.endpoints.name);
  const reports = await prewarm(titles, edges, {
    secret: edgeSigningKey,
    expiresAt: Math.floor(Date.now() / 1000) + LINK_SECONDS,
    concurrency: opts.concurrency,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const sum = (pickBytes: (e: EdgeWarmReport) => number) =>
    reports.reduce((a, t) => a + t.edges.reduce((b, e) => b + pickBytes(e), 0), 0);
  return {
    cluster: plane.endpoints.name,
    edges: edges.map((e) => e.name),
    titles: reports,
    fromOriginBytes: sum((e) => e.fromOrigin.bytes),
    alreadyCachedBytes: sum((e) => e.alreadyCached.bytes),
  };
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
