import type { DegradedReason } from '../../platform/resilience/index.js';

/** How often the gateway refreshes its static top 10 from the catalog. */
export const TOP_TITLES_REFRESH_MS = 10_000;

/** The titles of a catalog answer to `GET /v1/titles?limit=10` (`{titles:[...]}`); [] otherwise. */
export function titlesOf(body: unknown, limit = 10): unknown[] {
  if (typeof body === 'object' && body !== null && Array.isArray((body as { titles?: unknown }).titles)) {
    return (body as { titles: unknown[] }).titles.slice(0, limit);
  }
  return [];
}

/**
 * The recommendations' fallback: a static top 10 the gateway keeps from the catalog, refreshed
 * every 10 s (a failed refresh keeps the last list).
 */
export class TopTitles {
  private titles: unknown[] = [];
  refreshedAt: number | null = null;
  refreshes = 0;
  failures = 0;
  lastError: string | null = null;

  constructor(private readonly fetchTitles: () => Promise<unknown>) {}

  async refresh(now = Date.now()): Promise<void> {
    try {
      this.titles = titlesOf(await this.fetchTitles());
      this.refreshedAt = now;
      this.refreshes++;
      this.lastError = null;
    } catch (error) {
      this.failures++;
      this.lastError = error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * The degraded recommendations answer. An empty list (the catalog had no titles at the last
   * refresh, or none was made yet) is refreshed first, at most once a second.
   */
  async fallback(reason: DegradedReason, now = Date.now()) {
    if (this.titles.length === 0 && (this.refreshedAt === null || now - this.refreshedAt >= 1000)) {
      await this.refresh(now);
    }
    return { rows: [{ name: 'Top 10', kind: 'top10', titles: this.titles }], degraded: true, reason };
  }

  status() {
    return {
      count: this.titles.length,
      refreshedAt: this.refreshedAt ? new Date(this.refreshedAt).toISOString() : null,
      refreshes: this.refreshes,
      failures: this.failures,
      lastError: this.lastError,
    };
  }
}
