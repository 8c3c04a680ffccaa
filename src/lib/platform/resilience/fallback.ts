import { BrokenCircuitError, BulkheadRejectedError, TimeoutError } from './errors.js';
import { Emitter, type Event } from './events.js';
import { callerAborted, invoke, type Policy, type Work } from './policy.js';

/** Why a response is degraded: which protection gave up, or 'error' when the call itself failed. */
export type DegradedReason = 'timeout' | 'bulkhead-rejected' | 'circuit-open' | 'error';

/** A failure handed to a fallback function. */
export interface Failure {
  reason: DegradedReason;
  error: unknown;
}

/**
 * What a call under a fallback produced: the real result, or the fallback value marked degraded
 * with the reason (JSON-able) and the original error (for logs; not JSON-able).
 */
export type Outcome<T, F> =
  | { degraded: false; value: T }
  | { degraded: true; value: F; reason: DegradedReason; error: unknown };

/** A fallback policy: `execute` returns the value alone, `executeWithOutcome` says if it degraded. */
export interface FallbackPolicy<F> extends Policy<F> {
  /** Like execute, but tells a real result from a fallback value. */
  executeWithOutcome<T>(fn: Work<T>, signal?: AbortSignal): Promise<Outcome<T, F>>;
  /** Fired each time the fallback value is served. */
  readonly onFallback: Event<Failure>;
}

/** Names the protection behind an error, for a degraded outcome and the metrics. */
export function classifyFailure(error: unknown): DegradedReason {
  if (error instanceof TimeoutError) return 'timeout';
  if (error instanceof BulkheadRejectedError) return 'bulkhead-rejected';
  if (error instanceof BrokenCircuitError) return 'circuit-open';
  return 'error';
}

/**
 * Runs `fn`; on any failure — its own error, a timeout, a bulkhead or breaker rejection — returns
 * `produce(failure)` instead. Only the caller's abort is not replaced: the caller gave up, nobody
 * reads the answer. An error thrown by `produce` itself propagates.
 */
export async function runWithFallback<T, F>(
  fn: Work<T>,
  produce: (failure: Failure) => F | Promise<F>,
  signal?: AbortSignal,
): Promise<Outcome<T, F>> {
  if (signal?.aborted) throw signal.reason;
  try {
    return { degraded: false, value: await invoke(fn, signal ?? new AbortController().signal) };
  } catch (error) {
    if (callerAborted(signal)) throw error;
    const reason = classifyFailure(error);
    return { degraded: true, value: await produce({ reason, error }), reason, error };
  }
}

/**
 * Turns any failure into a fallback value (a constant, or a function of the failure; to fall back
 * to a function value, return it from a function). Put it outermost:
 * `wrap(fallback(x), breaker, bulkhead, timeout)`, or use `isolation()` which does.
 */
export function fallback<F>(produce: (failure: Failure) => F | Promise<F>): FallbackPolicy<F>;
export function fallback<F>(value: F): FallbackPolicy<F>;
export function fallback<F>(valueOrFn: F | ((failure: Failure) => F | Promise<F>)): FallbackPolicy<F> {
  const produce =
    typeof valueOrFn === 'function' ? (valueOrFn as (failure: Failure) => F | Promise<F>) : () => valueOrFn;
  const served = new Emitter<Failure>();
  const executeWithOutcome = async <T>(fn: Work<T>, signal?: AbortSignal): Promise<Outcome<T, F>> => {
    const outcome = await runWithFallback(fn, produce, signal);
    if (outcome.degraded) served.emit({ reason: outcome.reason, error: outcome.error });
    return outcome;
  };
  return {
    executeWithOutcome,
    async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T | F> {
      return (await executeWithOutcome(fn, signal)).value;
    },
    onFallback: served.event,
  };
}
