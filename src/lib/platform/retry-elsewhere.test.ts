import { describe, expect, it } from 'vitest';
import { inOrder, retryElsewhere } from './retry-elsewhere.js';

class Refused extends Error {}

describe('retryElsewhere', () => {
  it('answers from the first instance when it answers', async () => {
    const seen: string[] = [];
    const r = await retryElsewhere('a', {
      next: inOrder(['a', 'b']),
      attempt: async (i) => {
        seen.push(i);
        return `from ${i}`;
      },
      retryable: () => true,
    });
    expect([r, seen]).toEqual(['from a', ['a']]);
  });

  it('tries the next instance once after a failure that never reached the first', async () => {
    const seen: string[] = [];
    const r = retryElsewhere('a', {
      next: inOrder(['a', 'b', 'c']),
      attempt: async (i) => {
        seen.push(i);
        throw new Refused(`refused by ${i}`);
      },
      retryable: (e) => e instanceof Refused,
    });
    // two tries by default: a, then b; c is never asked
    await expect(r).rejects.toThrow('refused by b');
    expect(seen).toEqual(['a', 'b']);
  });

  it('never repeats a request that may have taken effect', async () => {
    const seen: string[] = [];
    await expect(
      retryElsewhere('a', {
        next: inOrder(['a', 'b']),
        attempt: async (i) => {
          seen.push(i);
          throw new Error('reset after the request was sent');
        },
        retryable: (e) => e instanceof Refused,
      }),
    ).rejects.toThrow('reset');
    expect(seen).toEqual(['a']);
  });

  it('gives up with the last error when no other instance is left', async () => {
    await expect(
      retryElsewhere('a', {
        next: inOrder(['a']),
        attempt: async (i) => {
          throw new Refused(`refused by ${i}`);
        },
        retryable: () => true,
      }),
    ).rejects.toThrow('refused by a');
  });

  it('tells who took over', async () => {
    const moves: string[] = [];
    await retryElsewhere('a', {
      next: inOrder(['a', 'b']),
      attempt: async (i) => {
        if (i === 'a') throw new Refused();
        return i;
      },
      retryable: () => true,
      onRetry: (from, to) => moves.push(`${from}→${to}`),
    });
    expect(moves).toEqual(['a→b']);
  });
});
