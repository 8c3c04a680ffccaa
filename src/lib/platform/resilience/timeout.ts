import { type Clock, systemClock } from '../../core/clock.js';
import { TimeoutError } from './errors.js';
import { Emitter, type Event } from './events.js';
import { invoke, type Policy, type Work } from './policy.js';

/** A timeout policy: rejects late calls with TimeoutError and reports each timeout. */
export interface TimeoutPolicy extends Policy {
  readonly timeoutMs: number;
  /** Fired for each call that timed out, with the error it rejected with. */
  readonly onTimeout: Event<TimeoutError>;
}

/** The longest delay Node's timers accept. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Gives each call `ms` milliseconds. When they run out, the call's signal aborts with a
 * TimeoutError and the call rejects with it at once, whether or not `fn` honours the signal (so a
 * bulkhead slot around it is freed on time). The caller's abort is passed on the same way.
 */
export function timeout(ms: number, options: { clock?: Clock } = {}): TimeoutPolicy {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    throw new RangeError(`timeout must be between 1 and ${MAX_TIMER_MS} ms, not ${ms}`);
  }
  const clock = options.clock ?? systemClock;
  const timeouts = new Emitter<TimeoutError>();

  function execute<T>(fn: Work<T>, parent?: AbortSignal): Promise<T> {
    if (parent?.aborted) return Promise.reject(parent.reason);
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clock.clearTimeout(timer);
        parent?.removeEventListener('abort', onParentAbort);
        return true;
      };
      const onParentAbort = (): void => {
        if (!settle()) return;
        controller.abort(parent?.reason);
        reject(parent?.reason);
      };
      const timer = clock.setTimeout(() => {
        if (!settle()) return;
        const error = new TimeoutError(ms);
        controller.abort(error);
        timeouts.emit(error);
        reject(error);
      }, ms);
      parent?.addEventListener('abort', onParentAbort, { once: true });
      invoke(fn, controller.signal).then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => {
          if (settle()) reject(error);
        },
      );
    });
  }

  return { timeoutMs: ms, onTimeout: timeouts.event, execute };
}
