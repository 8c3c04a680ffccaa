import { describe, expect, it } from 'vitest';
import { deviceName, latestByTitle, viewingEvent } from './contract.js';

describe('viewing history', () => {
  const e = (titleId: string, position: number, at: string, device = 'tv') => ({
    titleId,
    position,
    device,
    at,
  });

  it('keeps the newest event of each title across live and compressed history, newest first', () => {
    const live = [e('a', 30, '2026-12-02T10:00:00.000Z', 'phone'), e('b', 5, '2026-11-01T00:00:00.000Z')];
    const compressed = [e('a', 10, '2026-11-30T00:00:00.000Z'), e('c', 7, '2026-10-01T00:00:00.000Z')];
    expect(latestByTitle(live, compressed)).toEqual([
      e('a', 30, '2026-12-02T10:00:00.000Z', 'phone'),
      e('b', 5, '2026-11-01T00:00:00.000Z'),
      e('c', 7, '2026-10-01T00:00:00.000Z'),
    ]);
    // a row caught in the middle of its move is in both: one entry
    expect(
      latestByTitle([e('a', 1, '2026-12-01T00:00:00.000Z')], [e('a', 1, '2026-12-01T00:00:00.000Z')]),
    ).toHaveLength(1);
  });

  it('takes events and device names that are what they say', () => {
    const ok = {
      userId: 'u1',
      titleId: 'big-trip-1',
      position: 12.5,
      at: 1_764_000_000_000,
      device: 'tv',
      playId: 'p_1',
    };
    expect(viewingEvent.safeParse(ok).success).toBe(true);
    expect(viewingEvent.safeParse({ ...ok, position: -1 }).success).toBe(false);
    expect(viewingEvent.safeParse({ ...ok, extra: 1 }).success).toBe(false);
    for (const good of ['tv', 'phone', 'laptop-2', 'Living.Room_TV', 'тв', '電話'])
      expect(deviceName.safeParse(good).success, good).toBe(true);
    for (const bad of ['', '-tv', 'a'.repeat(33), 'tv one', 'tv\u0000'])
      expect(deviceName.safeParse(bad).success, bad).toBe(false);
  });
});
