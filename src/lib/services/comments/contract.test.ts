import { describe, expect, it } from 'vitest';
import { dayOf, decodeCursor, encodeCursor, newCommentBody } from './contract.js';

describe('comments', () => {
  const body = newCommentBody(10);

  it('take any script, emoji and line breaks up to the limit in characters', () => {
    expect(body.safeParse({ text: '🎬'.repeat(10) }).success).toBe(true);
    expect(body.safeParse({ text: 'два\nthree' }).success).toBe(true);
    expect(body.parse({ text: ' written ' }).text).toBe(' written ');
  });

  it('refuse empty, over-long, control characters and broken Unicode', () => {
    for (const text of ['', '   \n', 'x'.repeat(11), 'a\u0000', 'esc\u001b[31m', '\ud800'])
      expect(body.safeParse({ text }).success, JSON.stringify(text)).toBe(false);
  });

  it('page with cursors that survive the round trip, and refuse ones the API did not make', () => {
    const c = { day: '2026-12-02', after: '5b1f0c2e-d0a1-11f0-8de9-0242ac120002' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'bm90LWEtY3Vyc29y', Buffer.from('["2026-12-02","x"]').toString('base64url')])
      expect(decodeCursor(bad)).toBeNull();
  });

  it('are partitioned by UTC day', () => {
    expect(dayOf(new Date('2026-12-02T23:59:59.999Z'))).toBe('2026-12-02');
    expect(dayOf(new Date('2026-12-03T00:00:00Z'))).toBe('2026-12-03');
  });
});
