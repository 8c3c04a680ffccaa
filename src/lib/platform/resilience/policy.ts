/**
 * The one contract every resilience policy implements (the shape of cockatiel's `Policy`):
 * `execute(fn)` runs `fn` under the policy and hands it an AbortSignal to honour. Policies nest
 * with `wrap`, so a caller never needs to know which ones are in play.
 */

/** The work a policy protects: honour `signal` (pass it to fetch, the driver, ...) and resolve. */
export type Work<T> = (signal: AbortSignal) => Promise<T>;

/**
 * A policy. `Alt` is what it may return instead of the work's result (a fallback value); it is
 * `never` for the policies that only reject.
 */
export interface Policy<Alt = never> {
  /** Type-level marker of `Alt` for `wrap`; never set at runtime. */
  readonly altType?: () => Alt;
  /**
   * Runs `fn` under the policy. `signal` is the caller's (one signal for everything a command
   * starts): when it aborts, `fn`'s signal aborts too and the call rejects with the
   * caller's reason. A caller's abort never counts against a dependency.
   */
  execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T | Alt>;
}

/** The fallback type a policy may produce (`never` for one that only rejects). */
export type AltOf<P> = P extends { readonly altType?: () => infer A } ? A : never;

/**
 * Composes policies outermost-first: `wrap(a, b, c).execute(fn)` is
 * `a.execute(s => b.execute(s2 => c.execute(fn, s2), s), signal)`. `wrap()` runs `fn` as is.
 */
export function wrap<P extends readonly Policy<unknown>[]>(...policies: P): Policy<AltOf<P[number]>> {
  return {
    execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T | AltOf<P[number]>> {
      const run = policies.reduceRight<Work<unknown>>(
        (inner, policy) => (s) => policy.execute(inner, s),
        fn as Work<unknown>,
      );
      return invoke(run, signal ?? new AbortController().signal) as Promise<T | AltOf<P[number]>>;
    },
  };
}

/** Calls `fn`, turning a synchronous throw into a rejection. */
export function invoke<T>(fn: Work<T>, signal: AbortSignal): Promise<T> {
  try {
    return Promise.resolve(fn(signal));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** True when the caller gave up: its own signal aborted, whatever the dependency did. */
export function callerAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
