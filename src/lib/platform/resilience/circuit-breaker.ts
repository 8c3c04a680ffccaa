import { type Clock, systemClock } from '../../core/clock.js';
import { BrokenCircuitError } from './errors.js';
import { Emitter, type Event } from './events.js';
import { callerAborted, invoke, type Policy, type Work } from './policy.js';
import { RollingWindow, type WindowCounts } from './rolling-window.js';

/** When the failures in the window open the circuit: a share of the requests, or a number. */
export type FailureThreshold = { ratio: number } | { count: number };

/** Why an open circuit opened. JSON-able, for `flix status --breakers`. */
export type OpenReason =
  | { kind: 'failures'; failures: number; requests: number; lastError: string }
  | { kind: 'trial-failed'; error: string }
  | { kind: 'isolated' };

/** The breaker's state (cockatiel's CircuitState as a discriminated union). JSON-able. */
export type BreakerState =
  | { state: 'closed' }
  | { state: 'open'; openedAt: number; reason: OpenReason }
  | { state: 'half-open' };

/** Settings of a circuit breaker; every one has a default. */
export interface CircuitBreakerOptions {
  /** Name used in error messages. */
  name: string;
  /** Failures in the window that open the circuit. Default `{ ratio: 0.5 }`. */
  failureThreshold: FailureThreshold;
  /** The circuit never opens on fewer requests than this in the window. Default 10. */
  minimumRequests: number;
  /** Length of the rolling window, ms. Default 10 000. */
  windowMs: number;
  /** Slices of the rolling window (its resolution). Default 10. */
  windowBuckets: number;
  /** How long the circuit stays open before it lets trial calls through, ms. Default 5 000. */
  halfOpenAfterMs: number;
  /** Trial calls allowed at once while half-open. Default 1. */
  halfOpenMaxCalls: number;
  /** Which errors count as failures; others pass through uncounted. Default: every error. */
  isFailure: (error: unknown) => boolean;
  clock: Clock;
}

/** Defaults of CircuitBreakerOptions (Hystrix's, with a smaller request volume for a local cluster). */
export const defaultBreakerOptions = {
  name: 'circuit',
  failureThreshold: { ratio: 0.5 },
  minimumRequests: 10,
  windowMs: 10_000,
  windowBuckets: 10,
  halfOpenAfterMs: 5_000,
  halfOpenMaxCalls: 1,
} as const satisfies Partial<CircuitBreakerOptions>;

/** Holds a circuit open until released (chaos commands hold one per isolated dependency). */
export interface IsolationHandle {
  /** Lets go of this hold; the circuit closes when the last hold is released. Idempotent. */
  release(): void;
}

/** A circuit breaker policy with its state, rolling counts, events and isolate(). */
export interface CircuitBreakerPolicy extends Policy {
  readonly options: Readonly<Omit<CircuitBreakerOptions, 'clock' | 'isFailure'>>;
  /**
   * The current state. Open → half-open happens when a call arrives after `halfOpenAfterMs`
   * (as in Hystrix), so an idle open circuit still reads 'open'.
   */
  readonly state: BreakerState;
  /** True while at least one isolate() hold is in place. */
  readonly isolated: boolean;
  /** Requests and failures counted in the current window (reset on every transition). */
  readonly window: WindowCounts;
  readonly onStateChange: Event<BreakerState>;
  /** A counted call succeeded (closed, or a half-open trial). */
  readonly onSuccess: Event<{ durationMs: number }>;
  /** A counted call failed. Errors `isFailure` rejects and caller aborts are not reported. */
  readonly onFailure: Event<{ error: unknown; durationMs: number }>;
  /** A call was refused because the circuit was open, isolated, or its trial slots were taken. */
  readonly onReject: Event<BrokenCircuitError>;
  /** Forces the circuit open until the returned handle is released. */
  isolate(): IsolationHandle;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * A circuit breaker. Closed: outcomes go into a rolling window; when it holds at least
 * `minimumRequests` and the failures reach the threshold, the circuit opens. Open: calls are
 * refused with BrokenCircuitError. After `halfOpenAfterMs` the next call finds it half-open and runs
 * as a trial (up to `halfOpenMaxCalls` at once): a trial success closes it with a fresh window, a
 * trial failure opens it again. A call the caller aborted counts neither way.
 */
export function circuitBreaker(options: Partial<CircuitBreakerOptions> = {}): CircuitBreakerPolicy {
  const o = { ...defaultBreakerOptions, ...options };
  validate(o);
  const clock = options.clock ?? systemClock;
  const isFailure = options.isFailure ?? (() => true);
  const window = new RollingWindow(o.windowMs, o.windowBuckets);
  const stateChanges = new Emitter<BreakerState>();
  const successes = new Emitter<{ durationMs: number }>();
  const failures = new Emitter<{ error: unknown; durationMs: number }>();
  const rejects = new Emitter<BrokenCircuitError>();

  let state: BreakerState = { state: 'closed' };
  /** Bumped on every transition, so a call that started in another state cannot move this one. */
  let epoch = 0;
  let trialsInFlight = 0;
  let holds = 0;

  const transition = (next: BreakerState): void => {
    state = next;
    epoch++;
    trialsInFlight = 0;
    window.reset();
    stateChanges.emit(next);
  };

  const reject = (message: string, reason: BrokenCircuitError['reason']): Promise<never> => {
    const error = new BrokenCircuitError(`circuit '${o.name}' ${message}`, reason);
    rejects.emit(error);
    return Promise.reject(error);
  };

  function execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (state.state === 'open' && holds === 0 && clock.now() - state.openedAt >= o.halfOpenAfterMs) {
      transition({ state: 'half-open' });
    }
    if (state.state === 'open') {
      const r = state.reason;
      if (r.kind === 'isolated') return reject('is isolated', 'isolated');
      const why =
        r.kind === 'failures' ? `${r.failures} of ${r.requests} calls failed` : 'its trial call failed';
      return reject(`is open (${why}; last error: ${r.kind === 'failures' ? r.lastError : r.error})`, r.kind);
    }
    const trial = state.state === 'half-open';
    if (trial) {
      if (trialsInFlight >= o.halfOpenMaxCalls)
        return reject('is half-open and its trial calls are taken', 'half-open-busy');
      trialsInFlight++;
    }
    const startedEpoch = epoch;
    const startedAt = clock.now();
    const current = (): boolean => epoch === startedEpoch;

    return invoke(fn, signal ?? new AbortController().signal).then(
      (value) => {
        if (current()) {
          successes.emit({ durationMs: clock.now() - startedAt });
          if (trial) transition({ state: 'closed' });
          else window.record(clock.now(), true);
        }
        return value;
      },
      (error: unknown) => {
        if (!current()) throw error;
        if (callerAborted(signal) || !isFailure(error)) {
          if (trial) trialsInFlight--;
          throw error;
        }
        const now = clock.now();
        failures.emit({ error, durationMs: now - startedAt });
        if (trial) {
          transition({
            state: 'open',
            openedAt: now,
            reason: { kind: 'trial-failed', error: errorText(error) },
          });
          throw error;
        }
        window.record(now, false);
        const counts = window.counts(now);
        if (counts.requests >= o.minimumRequests && thresholdReached(o.failureThreshold, counts)) {
          transition({
            state: 'open',
            openedAt: now,
            reason: { kind: 'failures', ...counts, lastError: errorText(error) },
          });
        }
        throw error;
      },
    );
  }

  function isolate(): IsolationHandle {
    holds++;
    if (holds === 1) transition({ state: 'open', openedAt: clock.now(), reason: { kind: 'isolated' } });
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        holds--;
        if (holds === 0) transition({ state: 'closed' });
      },
    };
  }

  const { clock: _c, isFailure: _f, ...shown } = o as CircuitBreakerOptions;
  return {
    options: shown,
    get state() {
      return state;
    },
    get isolated() {
      return holds > 0;
    },
    get window() {
      return window.counts(clock.now());
    },
    onStateChange: stateChanges.event,
    onSuccess: successes.event,
    onFailure: failures.event,
    onReject: rejects.event,
    isolate,
    execute,
  };
}

function thresholdReached(threshold: FailureThreshold, counts: WindowCounts): boolean {
  return 'ratio' in threshold
    ? counts.failures / counts.requests >= threshold.ratio
    : counts.failures >= threshold.count;
}

function validate(o: Omit<CircuitBreakerOptions, 'clock' | 'isFailure'>): void {
  const t = o.failureThreshold;
  if ('ratio' in t && !(t.ratio > 0 && t.ratio <= 1)) {
    throw new RangeError(`failureThreshold.ratio must be in (0, 1], not ${t.ratio}`);
  }
  if ('count' in t && !(Number.isInteger(t.count) && t.count >= 1)) {
    throw new RangeError(`failureThreshold.count must be an integer ≥ 1, not ${t.count}`);
  }
  const ints: [string, number, number][] = [
    ['minimumRequests', o.minimumRequests, 1],
    ['halfOpenMaxCalls', o.halfOpenMaxCalls, 1],
    ['windowBuckets', o.windowBuckets, 1],
  ];
  for (const [name, value, min] of ints) {
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`${name} must be an integer ≥ ${min}, not ${value}`);
  }
  if (!(o.halfOpenAfterMs >= 0))
    throw new RangeError(`halfOpenAfterMs must be ≥ 0, not ${o.halfOpenAfterMs}`);
}
