import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { edgeCacheDir, holdsObject } from '../../engines/edge/cache.js';
import { httpJson } from '../../platform/http/client.js';
import type { EdgeCandidate } from './rank.js';

/**
 * What steering knows about each edge, gathered the way an Open Connect control plane hears from
 * its appliances: health and active connections from the edge itself (nginx `/_status`), the
 * bytes it served from its access log (JSON lines, tailed from where the last read stopped), and
 * whether it holds a title from its cache on disk (the title's master playlist: the distribution
 * service fills and evicts whole titles, a viewer's miss fetches the master first).
 */

export interface MonitoredEdge {
  name: string;
  zone: string;
  url: string;
  accessLog: string;
  cacheDir: string;
}

interface EdgeState {
  healthy: boolean;
  failures: number;
  activeConnections: number;
  /** [time ms, bytes] of recent responses */
  recent: Array<[number, number]>;
  logOffset: number;
  lastError: string | null;
}

const RECENT_MS = 30_000;
const TITLE_IN_URI = /\/titles\/([A-Za-z0-9_-]+)\//;

/** Parses one access-log line: the title a cached response belonged to, and its bytes. */
export function parseAccessLine(
  line: string,
): { title: string | null; bytes: number; cached: boolean } | null {
  let entry: {
    uri?: string;
    status?: number;
    bytes?: number;
    upstream_cache_status?: string;
    title?: string;
  };
  try {
    entry = JSON.parse(line);
  } catch {
    return null;
  }
  const title = entry.title || (entry.uri ? (TITLE_IN_URI.exec(entry.uri)?.[1] ?? null) : null);
  const ok = entry.status === 200 || entry.status === 206;
  const cache = entry.upstream_cache_status ?? '';
  // a MISS that answered 200 was written to the cache; HIT/STALE/UPDATING/REVALIDATED came from it
  const cached = ok && ['MISS', 'HIT', 'EXPIRED', 'STALE', 'UPDATING', 'REVALIDATED'].includes(cache);
  return { title: title || null, bytes: Number(entry.bytes ?? 0), cached };
}

/** Reads `Active connections: N` from nginx stub_status text. */
export function parseStubStatus(text: string): number | null {
  const m = /Active connections:\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

export class EdgeMonitor {
  private readonly state = new Map<string, EdgeState>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly edges: MonitoredEdge[],
    private readonly intervalMs = 1000,
  ) {
    for (const e of edges) {
      this.state.set(e.name, {
        healthy: false,
        failures: 0,
        activeConnections: 0,
        recent: [],
        logOffset: 0,
        lastError: null,
      });
    }
  }

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Every edge as a candidate for a play of `titleId`. */
  async candidates(titleId: string): Promise<EdgeCandidate[]> {
    const now = Date.now();
    const holds = await Promise.all(
      this.edges.map((e) => holdsObject(e.cacheDir, `titles/${titleId}/master.m3u8`)),
    );
    return this.withState((e, s, i) => ({
      name: e.name,
      zone: e.zone,
      healthy: s.healthy,
      titles: holds[i] ? [titleId] : [],
      activeConnections: s.activeConnections,
      recentBytes: s.recent.filter(([t]) => now - t < RECENT_MS).reduce((a, [, b]) => a + b, 0),
    }));
  }

  snapshot() {
    return this.withState((e, s) => ({
      name: e.name,
      zone: e.zone,
      healthy: s.healthy,
      activeConnections: s.activeConnections,
      lastError: s.lastError,
    }));
  }

  private withState<T>(view: (edge: MonitoredEdge, state: EdgeState, index: number) => T): T[] {
    return this.edges.map((e, i) => view(e, this.state.get(e.name) as EdgeState, i));
  }

  /** Marks an edge down at once (a client reported it failing) until the next good probe. */
  reportFailure(name: string): void {
    const s = this.state.get(name);
    if (s) s.healthy = false;
  }

  private async poll(): Promise<void> {
    await Promise.all(this.edges.map((e) => Promise.all([this.probe(e), this.tail(e)])));
  }

  private async probe(e: MonitoredEdge): Promise<void> {
    const s = this.state.get(e.name) as EdgeState;
    try {
      // a fresh connection, closed after the answer: kept-alive probes would count as load
      const res = await httpJson<string>(`${e.url}/_status`, {
        headers: { connection: 'close' },
        agent: false,
        signal: AbortSignal.timeout(500),
      });
      if (res.status !== 200) throw new Error(`/_status answered ${res.status}`);
      // the probe's own connection is one of the active ones
      s.activeConnections = Math.max(0, (parseStubStatus(String(res.body)) ?? 1) - 1);
      s.healthy = true;
      s.failures = 0;
      s.lastError = null;
    } catch (error) {
      s.failures++;
      s.lastError = error instanceof Error ? error.message : String(error);
      s.healthy = false;
    }
  }

  private async tail(e: MonitoredEdge): Promise<void> {
    const s = this.state.get(e.name) as EdgeState;
    let size: number;
    try {
      size = (await stat(e.accessLog)).size;
    } catch {
      return;
    }
    if (size < s.logOffset) s.logOffset = 0; // rotated or truncated
    if (size === s.logOffset) return;
    const fh = await open(e.accessLog, 'r');
    try {
      const length = Math.min(size - s.logOffset, 8 * 1024 * 1024);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, s.logOffset);
      const text = buf.toString('utf8');
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline < 0) return;
      s.logOffset += Buffer.byteLength(text.slice(0, lastNewline + 1));
      const now = Date.now();
      for (const line of text.slice(0, lastNewline).split('\n')) {
        const entry = parseAccessLine(line);
        if (!entry) continue;
        if (entry.bytes > 0) s.recent.push([now, entry.bytes]);
      }
      s.recent = s.recent.filter(([t]) => now - t < RECENT_MS);
    } finally {
      await fh.close();
    }
  }
}

/** The edges of a cluster plan, with their access logs. */
export function edgesFromPlan(
  components: Array<{ engine: string; name: string; zone: string | null; endpoint: string; dataDir: string }>,
): MonitoredEdge[] {
  return components
    .filter((c) => c.engine === 'edge')
    .map((c) => ({
      name: c.name,
      zone: c.zone ?? '',
      url: c.endpoint,
      accessLog: join(c.dataDir, 'access.log'),
      cacheDir: edgeCacheDir(c.dataDir),
    }));
}
