/**
 * The rejections the policies produce. They are neither FlixErrors nor bugs: a dependency is
 * slow, busy or broken. A service turns them into a degraded response (fallback); a command that
 * lets one escape should wrap it in a FlixError that says which dependency failed.
 */

/** Base class of every rejection produced by a policy rather than by the wrapped call. */
export abstract class ResilienceError extends Error {
  abstract readonly kind: 'timeout' | 'bulkhead-rejected' | 'circuit-open';
}

/** The call did not finish within the timeout; its signal was aborted with this error. */
export class TimeoutError extends ResilienceError {
  readonly kind = 'timeout';
  constructor(readonly timeoutMs: number) {
    super(`call timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** Every concurrency slot and queue place was taken, so the call was refused without running. */
export class BulkheadRejectedError extends ResilienceError {
  readonly kind = 'bulkhead-rejected';
  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    super(`bulkhead full: ${maxConcurrent} calls running and ${maxQueue} queued`);
    this.name = 'BulkheadRejectedError';
  }
}

/** The circuit is open (or isolated, or its half-open trials are taken), so the call was refused. */
export class BrokenCircuitError extends ResilienceError {
  readonly kind = 'circuit-open';
  constructor(
    message: string,
    /** Why the circuit opened: 'failures', 'trial-failed', 'isolated', or 'half-open-busy'. */
    readonly reason: 'failures' | 'trial-failed' | 'isolated' | 'half-open-busy',
  ) {
    super(message);
    this.name = 'BrokenCircuitError';
  }
}
