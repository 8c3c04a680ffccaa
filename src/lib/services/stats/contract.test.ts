import { describe, expect, it } from 'vitest';
import { voteBody, voteDelta } from './contract.js';

describe('votes', () => {
  it('move the counters by the difference between the old vote and the new', () => {
    expect(voteDelta(null, 'like')).toEqual({ likes: 1, dislikes: 0 });
    expect(voteDelta('like', 'like')).toEqual({ likes: 0, dislikes: 0 });
    expect(voteDelta('like', 'dislike')).toEqual({ likes: -1, dislikes: 1 });
    expect(voteDelta('dislike', null)).toEqual({ likes: 0, dislikes: -1 });
    expect(voteDelta(null, null)).toEqual({ likes: 0, dislikes: 0 });
  });

  it('are like or dislike, nothing else', () => {
    expect(voteBody.safeParse({ vote: 'like' }).success).toBe(true);
    expect(voteBody.safeParse({ vote: 'love' }).success).toBe(false);
    expect(voteBody.safeParse({ vote: 'like', weight: 2 }).success).toBe(false);
  });
});
