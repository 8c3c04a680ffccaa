import { z } from 'zod';

/**
 * The search service's messages: a query as the API takes it, a hit, and the answer. A query is
 * typo-tolerant and matches as you type; genre, year and the viewer's region filter it; hits are
 * ordered by relevance, then popularity.
 */

/** Longest query, in characters. */
export const MAX_QUERY_CHARS = 200;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const searchQuery = z.strictObject({
  q: z
    .string()
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, 'say what to search for (q is empty)')
    .refine((s) => [...s].length <= MAX_QUERY_CHARS, `a query has at most ${MAX_QUERY_CHARS} characters`)
    .refine((s) => !CONTROL.test(s), 'a query cannot hold control characters'),
  genre: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .transform((s) => s.toLowerCase())
    .optional(),
  year: z.coerce.number().int().min(1870).max(2100).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type SearchQuery = z.infer<typeof searchQuery>;

/** Who is searching: what they may find depends on where they are and what they own. */
export interface Searcher {
  userId: string | null;
  /** ISO 3166-1 alpha-2; null: every region (the operator) */
  region: string | null;
}

/** A title as the index holds it (the document id is the title id). */
export interface TitleDoc {
  title: string;
  /** the title folded for matching (case and accents dropped) */
  folded: string;
  year: number | null;
  genres: string[];
  regions: string[];
  /** `public` for every title the operator ingests; viewer uploads may be `unlisted` or `private` */
  visibility: 'public' | 'unlisted' | 'private';
  /** the uploader of a viewer upload; null for the operator's titles */
  owner: string | null;
  /** plays so far (refreshed from the play counts) */
  popularity: number;
  publishedAt: string | null;
}

export interface SearchHit {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  popularity: number;
  /** relevance as Elasticsearch scored it; null in a degraded answer */
  score: number | null;
}

export interface SearchAnswer {
  query: string;
  hits: SearchHit[];
  /** true: Elasticsearch could not answer, these come from the catalog's `LIKE` match (no typo tolerance) */
  degraded: boolean;
  reason?: string;
}
