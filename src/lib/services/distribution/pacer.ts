import { cpus } from 'node:os';
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

/** The machine's idle and total CPU time so far, all cores. */
function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idle, total };
}

/**
 * Yields a fill to live traffic: a fill is the work that can wait, so while the machine's CPU has
 * less than `minIdle` of its time free (sampled every 250 ms) each fetch waits, up to `maxWaitMs`
 * (after which it goes ahead, so a fill on a machine that is never idle still ends). On a cluster
 * that shares one machine, CPU is what a fill would take from viewers; the byte pace (Pacer)
 * bounds the bandwidth on top.
 */
export class Headroom {
  private idleShare = 1;
  private last = cpuTimes();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly minIdle: number,
    private readonly maxWaitMs = 2000,
  ) {
    this.timer = setInterval(() => {
      const now = cpuTimes();
      this.idleShare = (now.idle - this.last.idle) / Math.max(1, now.total - this.last.total);
      this.last = now;
    }, 250);
    this.timer.unref();
    // nothing to sample when the fill never waits
    if (minIdle <= 0) clearInterval(this.timer);
  }

  /** The share of CPU time that was free in the last sample. */
  get idle(): number {
    return this.idleShare;
  }

  /** Waits while the machine is busier than allowed; how long it waited. */
  async wait(signal?: AbortSignal): Promise<number> {
    const started = Date.now();
    while (this.idleShare < this.minIdle && Date.now() - started < this.maxWaitMs) {
      await sleep(100, undefined, { signal });
    }
    return Date.now() - started;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
