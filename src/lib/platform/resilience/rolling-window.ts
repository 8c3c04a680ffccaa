/** Successes and failures seen within a window. */
export interface WindowCounts {
  requests: number;
  failures: number;
}

interface Bucket {
  /** floor(time / bucketMs) */
  index: number;
  successes: number;
  failures: number;
}

/**
 * Outcomes over the last `windowMs`, kept in `buckets` equal slices like Hystrix's rolling
 * counters, so memory stays constant whatever the call rate. An outcome leaves the window when its
 * whole slice is older than the window, so the window is exact to one slice.
 */
export class RollingWindow {
  private readonly bucketMs: number;
  private slices: Bucket[] = [];

  constructor(
    windowMs: number,
    private readonly buckets: number,
  ) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs))
      throw new RangeError(`windowMs must be > 0, not ${windowMs}`);
    if (!Number.isInteger(buckets) || buckets < 1)
      throw new RangeError(`buckets must be an integer ≥ 1, not ${buckets}`);
    this.bucketMs = windowMs / buckets;
  }

  /** Records one outcome at time `now` (ms). */
  record(now: number, ok: boolean): void {
    const index = Math.floor(now / this.bucketMs);
    this.prune(index);
    let last = this.slices[this.slices.length - 1];
    if (!last || last.index !== index) {
      last = { index, successes: 0, failures: 0 };
      this.slices.push(last);
    }
    if (ok) last.successes++;
    else last.failures++;
  }

  /** Requests and failures within the window ending at `now`. */
  counts(now: number): WindowCounts {
    this.prune(Math.floor(now / this.bucketMs));
    let requests = 0;
    let failures = 0;
    for (const b of this.slices) {
      requests += b.successes + b.failures;
      failures += b.failures;
    }
    return { requests, failures };
  }

  /** Forgets every outcome (the breaker starts a fresh window when it closes or opens). */
  reset(): void {
    this.slices = [];
  }

  private prune(currentIndex: number): void {
    const oldest = currentIndex - this.buckets + 1;
    if (this.slices.length > 0 && (this.slices[0]?.index ?? oldest) < oldest) {
      this.slices = this.slices.filter((b) => b.index >= oldest);
    }
  }
}
