import type { Tier } from './placement.js';

/** The distribution service's answers: a placement run and what each edge holds. */

export type { Tier };

export interface EdgeRunReport {
  edge: string;
  zone: string;
  /** titles pushed on this run (objects fetched through the edge, bytes) */
  filled: Array<{ titleId: string; objects: number; bytes: number }>;
  /** titles whose cached objects were deleted to make room */
  evicted: Array<{ titleId: string; objects: number }>;
  /** objects that did not come back whole (the next run tries again) */
  failures: number;
  seconds: number;
}

export interface DistributionRun {
  id: string;
  /** what asked for it: a publish, the nightly window, the operator, the service's start */
  reason: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  startedAt: string | null;
  finishedAt: string | null;
  edges: EdgeRunReport[];
  tiers: Record<string, Tier>;
  error: string | null;
}

export interface EdgeStatus {
  edge: string;
  zone: string;
  /** the regions the edge's zone serves (`*` every one) */
  regions: string[];
  budgetBytes: number;
  /** the titles the last placement put on the edge, in fill order */
  placedTitles: string[];
  placedBytes: number;
  /** of those, what the edge's disk holds now */
  heldBytes: number;
  heldObjects: number;
  /** share of the zone's predicted plays that land on titles the edge holds; null before any play */
  predictedHitRatio: number | null;
}

export interface DistributionStatus {
  edges: EdgeStatus[];
  window: { start: string; hours: number };
  fillMbps: number;
  lastRun: DistributionRun | null;
}
