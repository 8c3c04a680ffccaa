import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A byte-rate limit for fills: each fetch waits its turn so that, over any second, no more than
 * `bytesPerSecond` (plus one second's burst) is asked of the edges and the origin, however many
 * fetches run at once. Live traffic is never paced, only the fill.
 */
export class Pacer {
  private nextFree = 0;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly clock: () => number = Date.now,
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<unknown> = (ms, signal) =>
      sleep(ms, undefined, { signal }),
  ) {}

  /** How long a fetch of `bytes` must wait now (and books its share of the rate). */
  book(bytes: number): number {
    const now = this.clock();
    const start = Math.max(now - 1000, this.nextFree);
    this.nextFree = start + (bytes / this.bytesPerSecond) * 1000;
    return Math.max(0, start - now);
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const ms = this.book(bytes);
    if (ms > 0) await this.wait(ms, signal);
  }
}
