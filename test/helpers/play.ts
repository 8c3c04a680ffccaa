import { expect } from 'vitest';

/** The cache status of every segment a `flix play --json` report fetched; fails unless all are HITs. */
export function expectAllHits(report: { segments: Array<{ cacheStatus: string }>; cache: { hits: number } }) {
  const statuses = report.segments.map((s) => s.cacheStatus);
  expect(statuses.length).toBeGreaterThan(0);
  expect(
    statuses.every((x) => x === 'HIT'),
    statuses.join(' '),
  ).toBe(true);
  expect(report.cache.hits).toBeGreaterThanOrEqual(statuses.length);
}
