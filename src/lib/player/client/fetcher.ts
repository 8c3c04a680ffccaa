/**
 * Downloads from the edges a play answer lists, in rank order, with failover: a connect error, a
 * timeout (no answer or no body bytes for `timeoutMs`) or a 5xx from the edge in use makes the same
 * object be asked of the next edge (wrapping round), and the player sticks with the edge that
 * answered. Only when every edge failed for one object is it a playback error. A 4xx is not an edge
 * failure (every edge would say the same: expired signature, missing object) and stops at once.
 *
 * Each edge is known by the URL of the title's manifest on it (signed, opaque); the URIs inside the
 * manifests are resolved against it, so the same object has a URL on every edge.
 */
import { FlixError } from '../../core/errors.js';

/** An edge to play from: its name and the manifest URL on it (HLS master or DASH MPD). */
export interface PlayEdge {
  name: string;
  zone?: string;
  url: string;
}

/** One object fetched. */
export interface FetchResult {
  uri: string;
  url: string;
  edge: string;
  status: number;
  bytes: number;
  /** The body, only when asked for (manifests). */
  text?: string;
  /** `X-Cache-Status` of the edge's answer (HIT, MISS, ...), null without one. */
  cacheStatus: string | null;
  /** Wall-clock ms (the fetcher's clock) when the request went out, the first body byte came, the last. */
  sentAtMs: number;
  firstByteAtMs: number;
  doneAtMs: number;
}

/** An edge that failed for an object and why; the fetch went on to the next edge. */
export interface FailoverEvent {
  uri: string;
  from: string;
  to: string;
  reason: string;
}

export interface FetcherOptions {
  /** No answer, or no body bytes, for this long (wall ms) fails the edge for the object. Default 2000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  onFailover?: (e: FailoverEvent) => void;
  signal?: AbortSignal;
}

class EdgeFailure extends Error {}

/** The edges' URLs, tried in order from the one in use; keeps counts for the report. */
export class EdgeFetcher {
  private current = 0;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;
  /** Every object that an edge failed and the next one was asked for. */
  readonly failovers: FailoverEvent[] = [];
  /** Every change of the edge in use (objects fetched side by side failing together move it once). */
  readonly edgeSwitches: Array<{ from: string; to: string; uri: string }> = [];
  /** Per edge name: objects it served and their bytes. */
  readonly served = new Map<string, { objects: number; bytes: number }>();
  readonly cache = { hits: 0, answers: 0 };

  constructor(
    readonly edges: readonly PlayEdge[],
    private readonly options: FetcherOptions = {},
  ) {
    if (edges.length === 0) {
      throw new FlixError('the play answer lists no edges to play from', {
        code: 'componentFailed',
        nextStep: '`flix status` shows whether the cluster has healthy edges',
      });
    }
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.doFetch = options.fetch ?? fetch;
    this.now = options.now ?? (() => performance.now());
  }

  /** The edge in use. */
  get edge(): PlayEdge {
    return this.edges[this.current] as PlayEdge;
  }

  /** URL of `uri` (relative to the manifest, or absolute) on an edge. */
  urlOn(edge: PlayEdge, uri: string): string {
    return new URL(uri, edge.url).href;
  }

  /**
   * Fetches `uri` ('' is the manifest itself) from the edge in use, failing over in order. Returns
   * the text when `text` is set, else only counts the bytes.
   */
  async get(uri: string, opts: { text?: boolean } = {}): Promise<FetchResult> {
    const reasons: string[] = [];
    for (let k = 0; k < this.edges.length; k++) {
      const index = (this.current + k) % this.edges.length;
      const edge = this.edges[index] as PlayEdge;
      try {
        const result = await this.once(edge, uri, opts.text === true);
        if (index !== this.current) {
          this.edgeSwitches.push({ from: this.edge.name, to: edge.name, uri: uri || '(manifest)' });
          this.current = index;
        }
        const s = this.served.get(edge.name) ?? { objects: 0, bytes: 0 };
        this.served.set(edge.name, { objects: s.objects + 1, bytes: s.bytes + result.bytes });
        return result;
      } catch (e) {
        if (!(e instanceof EdgeFailure)) throw e;
        reasons.push(`${edge.name}: ${e.message}`);
        const next = this.edges[(index + 1) % this.edges.length] as PlayEdge;
        if (k < this.edges.length - 1) {
          const event = { uri: uri || '(manifest)', from: edge.name, to: next.name, reason: e.message };
          this.failovers.push(event);
          this.options.onFailover?.(event);
        }
      }
    }
    throw new FlixError(`every edge failed to serve ${uri || 'the manifest'}`, {
      code: 'componentFailed',
      details: reasons.join('\n'),
      nextStep: '`flix status` shows the edges and the origin; play again once one is healthy',
    });
  }

  private async once(edge: PlayEdge, uri: string, wantText: boolean): Promise<FetchResult> {
    const url = this.urlOn(edge, uri);
    const controller = new AbortController();
    const outer = this.options.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs);
    };
    const sentAtMs = this.now();
    arm();
    try {
      let res: Response;
      try {
        res = await this.doFetch(url, { signal: controller.signal });
      } catch (e) {
        throw this.failure(e, timedOut, outer, 'no answer');
      }
      this.cache.answers++;
      const cacheStatus = res.headers.get('x-cache-status');
      if (cacheStatus?.toUpperCase() === 'HIT') this.cache.hits++;
      if (res.status >= 500) {
        await res.body?.cancel().catch(() => {});
        throw new EdgeFailure(`HTTP ${res.status}`);
      }
      if (res.status >= 400) {
        await res.body?.cancel().catch(() => {});
        throw refused(edge, uri, res.status);
      }
      let bytes = 0;
      let firstByteAtMs = Number.NaN;
      const chunks: Uint8Array[] = [];
      try {
        const reader = res.body?.getReader();
        for (;;) {
          if (!reader) break;
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          if (Number.isNaN(firstByteAtMs)) firstByteAtMs = this.now();
          bytes += value.byteLength;
          if (wantText) chunks.push(value);
        }
      } catch (e) {
        throw this.failure(e, timedOut, outer, `the body broke off after ${bytes} bytes`);
      }
      const doneAtMs = this.now();
      return {
        uri,
        url,
        edge: edge.name,
        status: res.status,
        bytes,
        text: wantText ? Buffer.concat(chunks).toString('utf8') : undefined,
        cacheStatus,
        sentAtMs,
        firstByteAtMs: Number.isNaN(firstByteAtMs) ? doneAtMs : firstByteAtMs,
        doneAtMs,
      };
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  private failure(e: unknown, timedOut: boolean, outer: AbortSignal | undefined, what: string): Error {
    if (outer?.aborted) return outer.reason instanceof Error ? outer.reason : new Error('aborted');
    if (timedOut) return new EdgeFailure(`${what} within ${this.timeoutMs} ms`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new EdgeFailure(`${what}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

function refused(edge: PlayEdge, uri: string, status: number): FlixError {
  const what = uri || 'the manifest';
  if (status === 403) {
    return new FlixError(`edge ${edge.name} refused ${what} (403): the signed URL is invalid or expired`, {
      code: 'componentFailed',
      nextStep: "play again for freshly signed URLs (they expire at the play answer's expiresAt)",
    });
  }
  return new FlixError(`edge ${edge.name} answered ${status} for ${what}`, {
    code: 'componentFailed',
    nextStep:
      status === 404 ? "the title's files are missing from the origin: check `flix titles show`" : undefined,
  });
}
