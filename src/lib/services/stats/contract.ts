import { z } from 'zod';

/**
 * The stats service's messages: a viewer's vote on a title, and the counts of a title as the API
 * serves them.
 */

export type Vote = 'like' | 'dislike';

export const voteBody = z.strictObject({ vote: z.enum(['like', 'dislike']) });

/** A view counted once per play, from the playback service. */
export const viewBody = z.strictObject({
  playId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  titleId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
});

export interface TitleCounts {
  likes: number;
  dislikes: number;
  views: number;
}

export interface StatsAnswer extends TitleCounts {
  titleId: string;
  title: string;
  /** the caller's own vote (null: none, or not asked for a user) */
  myVote: Vote | null;
}

/** What a vote did: `changed` is false when the vote was already so (a repeat counts once). */
export interface VoteAnswer extends StatsAnswer {
  changed: boolean;
}

/** How one vote moves the counters. Pure. */
export function voteDelta(from: Vote | null, to: Vote | null): { likes: number; dislikes: number } {
  const d = { likes: 0, dislikes: 0 };
  if (from === to) return d;
  if (from === 'like') d.likes--;
  if (from === 'dislike') d.dislikes--;
  if (to === 'like') d.likes++;
  if (to === 'dislike') d.dislikes++;
  return d;
}
