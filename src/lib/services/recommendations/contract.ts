/**
 * The recommendations service's answer: a viewer's home page rows. When the service is down the
 * gateway answers the same shape with one "Top 10" row, `degraded: true` and the reason.
 */
export interface RecommendationRow {
  name: string;
  /** which kind of row: trained picks, the online "because you watched", or catalog rows */
  kind?: 'picks' | 'because' | 'popular' | 'new' | 'genre' | 'top10';
  titles: Array<{ id: string; title: string }>;
}

export interface RecommendationsAnswer {
  rows: RecommendationRow[];
  degraded: boolean;
  reason?: string;
  /** when the picks were trained (null: the last training did not know this viewer) */
  trainedAt?: string | null;
}

/** A play counts as finished, for "because you watched", from this share of the title on. */
export const FINISHED_SHARE = 0.9;
