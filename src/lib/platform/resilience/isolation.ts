import { type Clock, systemClock } from '../../core/clock.js';
import { type BulkheadPolicy, bulkhead } from './bulkhead.js';
import {
  type BreakerState,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  circuitBreaker,
  type FailureThreshold,
  type IsolationHandle,
} from './circuit-breaker.js';
import { BulkheadRejectedError } from './errors.js';
import { type Failure, type Outcome, runWithFallback } from './fallback.js';
import { callerAborted, type Policy, type Work, wrap } from './policy.js';
import { type TimeoutPolicy, timeout } from './timeout.js';

/** Settings of one dependency's isolation; every one has a default. */
export interface IsolationOptions<F> {
  /** Time allowed per call, ms. Default 1 000 (Hystrix). */
  timeoutMs: number;
  /** Calls to the dependency allowed at once. Default 10 (Hystrix). */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot. Default 0. */
  maxQueue: number;
  /**
   * Breaker settings (see circuitBreaker). Unless `isFailure` says otherwise, bulkhead rejections
   * do not count as failures: a busy caller is not a broken dependency.
   */
  breaker: Partial<Omit<CircuitBreakerOptions, 'clock' | 'name'>>;
  /** The degraded answer. Without one, failures reject (still counted in the snapshot). */
  fallback?: (failure: Failure) => F | Promise<F>;
  clock: Clock;
}

/** Cumulative counts since the isolation was made (counters, for metrics). */
export interface CommandCounts {
  /** Calls that returned the dependency's answer. */
  successes: number;
  /** Calls whose function failed (not a timeout or a rejection of this isolation). */
  failures: number;
  /** Calls this isolation's timeout cut short. */
  timeouts: number;
  /** Calls refused because the bulkhead was full. */
  rejections: number;
  /** Calls refused because the circuit was open, isolated or its trials taken. */
  shortCircuits: number;
  /** Degraded answers served. */
  fallbacks: number;
  /** Calls the caller aborted; they count against nothing. */
  cancellations: number;
}

/** One dependency's isolation as `flix status --breakers` and the metrics show it. JSON-able. */
export interface CommandSnapshot {
  name: string;
  breaker: BreakerState;
  isolated: boolean;
  /** Requests and failures in the breaker's current rolling window. */
  window: { requests: number; failures: number };
  counts: CommandCounts;
  inFlight: number;
  queued: number;
  limits: {
    timeoutMs: number;
    maxConcurrent: number;
    maxQueue: number;
    failureThreshold: FailureThreshold;
    minimumRequests: number;
    windowMs: number;
    halfOpenAfterMs: number;
    halfOpenMaxCalls: number;
  };
}

/** A named dependency behind fallback(breaker(bulkhead(timeout))), with its snapshot. */
export interface CommandPolicy<F = never> extends Policy<F> {
  readonly name: string;
  readonly breaker: CircuitBreakerPolicy;
  readonly bulkhead: BulkheadPolicy;
  readonly timeout: TimeoutPolicy;
  /**
   * Like execute, but tells a real answer from a degraded one (see Outcome). A fallback given here
   * serves this call instead of the isolation's own (one dependency, different degraded answers).
   */
  executeWithOutcome<T, G = F>(
    fn: Work<T>,
    signal?: AbortSignal,
    fallback?: (failure: Failure) => G | Promise<G>,
  ): Promise<Outcome<T, G>>;
  /** Forces the breaker open (every call short-circuits to the fallback) until released. */
  isolate(): IsolationHandle;
  snapshot(): CommandSnapshot;
}

/**
 * Hystrix's command for one dependency: each call runs under a timeout, inside a bulkhead, behind
 * a circuit breaker, and any failure becomes the fallback value marked degraded. Counts what
 * happened to every call for `snapshot()`.
 */
export function isolation<F = never>(
  name: string,
  options: Partial<IsolationOptions<F>> = {},
): CommandPolicy<F> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const t = timeout(timeoutMs, { clock });
  const b = bulkhead({ maxConcurrent: options.maxConcurrent ?? 10, maxQueue: options.maxQueue ?? 0 });
  const breaker = circuitBreaker({
    isFailure: (error) => !(error instanceof BulkheadRejectedError),
    ...options.breaker,
    name,
    clock,
  });
  const inner = wrap(breaker, b, t);
  const produce = options.fallback;

  const counts: CommandCounts = {
    successes: 0,
    failures: 0,
    timeouts: 0,
    rejections: 0,
    shortCircuits: 0,
    fallbacks: 0,
    cancellations: 0,
  };
  /** Errors this isolation's own policies produced (and counted through their events). */
  const own = new WeakSet<object>();
  const mark = (key: 'timeouts' | 'rejections' | 'shortCircuits') => (error: Error) => {
    own.add(error);
    counts[key]++;
  };
  t.onTimeout(mark('timeouts'));
  b.onReject(mark('rejections'));
  breaker.onReject(mark('shortCircuits'));

  const counted = async <T>(fn: Work<T>, signal?: AbortSignal): Promise<T> => {
    try {
      const value = await inner.execute(fn, signal);
      counts.successes++;
      return value;
    } catch (error) {
      if (callerAborted(signal)) counts.cancellations++;
      else if (!(typeof error === 'object' && error !== null && own.has(error))) counts.failures++;
      throw error;
    }
  };

  async function executeWithOutcome<T, G = F>(
    fn: Work<T>,
    signal?: AbortSignal,
    fallback?: (failure: Failure) => G | Promise<G>,
  ): Promise<Outcome<T, G>> {
    if (signal?.aborted) {
      counts.cancellations++;
      throw signal.reason;
    }
    const serve = fallback ?? (produce as ((failure: Failure) => G | Promise<G>) | undefined);
    if (!serve) return { degraded: false, value: await counted(fn, signal) };
    const outcome = await runWithFallback((s) => counted(fn, s), serve, signal);
    if (outcome.degraded) counts.fallbacks++;
    return outcome;
  }

  return {
    name,
    breaker,
    bulkhead: b,
    timeout: t,
    executeWithOutcome,
    async execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T | F> {
      return (await executeWithOutcome(fn, signal)).value;
    },
    isolate: () => breaker.isolate(),
    snapshot(): CommandSnapshot {
      const o = breaker.options;
      return {
        name,
        breaker: breaker.state,
        isolated: breaker.isolated,
        window: breaker.window,
        counts: { ...counts },
        inFlight: b.inFlight,
        queued: b.queued,
        limits: {
          timeoutMs,
          maxConcurrent: b.maxConcurrent,
          maxQueue: b.maxQueue,
          failureThreshold: o.failureThreshold,
          minimumRequests: o.minimumRequests,
          windowMs: o.windowMs,
          halfOpenAfterMs: o.halfOpenAfterMs,
          halfOpenMaxCalls: o.halfOpenMaxCalls,
        },
      };
    },
  };
}
