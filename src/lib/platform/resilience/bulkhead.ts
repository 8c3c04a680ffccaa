import { BulkheadRejectedError } from './errors.js';
import { Emitter, type Event } from './events.js';
import { invoke, type Policy, type Work } from './policy.js';

/** Limits of a bulkhead. */
export interface BulkheadOptions {
  /** Calls allowed to run at once (≥ 1). */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot (≥ 0, default 0: reject as soon as every slot is taken). */
  maxQueue?: number;
}

/** A bulkhead: bounded concurrency that rejects when full, with live counts. */
export interface BulkheadPolicy extends Policy {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
  /** Fired for each call refused because the bulkhead was full. */
  readonly onReject: Event<BulkheadRejectedError>;
}

interface Waiter {
  start(): void;
}

/**
 * Semaphore isolation (Hystrix): at most `maxConcurrent` calls run, up to `maxQueue` more wait in
 * arrival order, and any further call is rejected at once with BulkheadRejectedError — a slow
 * dependency then costs a bounded number of slots instead of every caller. A queued call leaves
 * the queue when its caller aborts; there is no queue timeout, so keep the queue small and put a
 * timeout inside the bulkhead.
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  const maxConcurrent = options.maxConcurrent;
  const maxQueue = options.maxQueue ?? 0;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new RangeError(`bulkhead maxConcurrent must be an integer ≥ 1, not ${maxConcurrent}`);
  }
  if (!Number.isInteger(maxQueue) || maxQueue < 0) {
    throw new RangeError(`bulkhead maxQueue must be an integer ≥ 0, not ${maxQueue}`);
  }
  const rejections = new Emitter<BulkheadRejectedError>();
  const queue: Waiter[] = [];
  let active = 0;

  const release = (): void => {
    active--;
    queue.shift()?.start();
  };

  function run<T>(fn: Work<T>, signal: AbortSignal): Promise<T> {
    active++;
    return invoke(fn, signal).then(
      (value) => {
        release();
        return value;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
  }

  function execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    const s = signal ?? new AbortController().signal;
    if (s.aborted) return Promise.reject(s.reason);
    if (active < maxConcurrent) return run(fn, s);
    if (queue.length < maxQueue) {
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          start: () => {
            s.removeEventListener('abort', onAbort);
            run(fn, s).then(resolve, reject);
          },
        };
        const onAbort = (): void => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(s.reason);
        };
        s.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    }
    const error = new BulkheadRejectedError(maxConcurrent, maxQueue);
    rejections.emit(error);
    return Promise.reject(error);
  }

  return {
    maxConcurrent,
    maxQueue,
    get inFlight() {
      return active;
    },
    get queued() {
      return queue.length;
    },
    onReject: rejections.event,
    execute,
  };
}
