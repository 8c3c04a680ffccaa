/** When a play counts as a view of its title. Pure. */

/** Media time a play must have played to count as a view: 30 s, or 3/4 of a shorter title. */
export function viewThresholdSeconds(durationSeconds: number): number {
  return Math.min(30, 0.75 * durationSeconds);
}

/**
 * The media seconds a heartbeat adds to a play: how far the position moved since the last one,
 * when it moved forward by no more than a heartbeat's worth (10 s of media) and some slack; a seek
 * or a jump back adds nothing. The first heartbeat of a play that started from 0 despite a
 * bookmark counts the position it reached. Pure.
 */
export function watchedDelta(last: number, position: number, first: boolean): number {
  const moved = position - last;
  if (moved >= 0 && moved <= 15) return moved;
  if (first && position <= 15) return position;
  return 0;
}
