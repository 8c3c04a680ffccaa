/**
 * "Try another instance": an attempt on one instance that fails in a way that proves the request
 * never took effect there (the connection was refused, a kept-alive socket was found closed, an
 * instance accepted a request it could be sent again for and said nothing) is made once more on
 * another instance. Any other failure, and any answer, is final: repeating a request that may have
 * reached its instance could do its work twice.
 *
 * Used by every hop that picks an instance: the ELB (gateways), the service client (services, so
 * the gateway's proxy too) and the operator commands that talk to one service instance.
 */
export async function retryElsewhere<I, T>(
  first: I,
  options: {
    /** the instance for the next try after `failed`, or null when there is none */
    next: (failed: I, error: unknown) => I | null;
    attempt: (instance: I) => Promise<T>;
    /** true when `error` proves the request did not take effect on its instance */
    retryable: (error: unknown) => boolean;
    /** tries in all, the first included (default 2) */
    tries?: number;
    onRetry?: (failed: I, next: I, error: unknown) => void;
  },
): Promise<T> {
  const tries = options.tries ?? 2;
  let instance = first;
  for (let n = 1; ; n++) {
    try {
      return await options.attempt(instance);
    } catch (error) {
      if (n >= tries || !options.retryable(error)) throw error;
      const next = options.next(instance, error);
      if (next === null) throw error;
      options.onRetry?.(instance, next, error);
      instance = next;
    }
  }
}

/** The instances of a list one after another (the next after the one that failed). */
export function inOrder<I>(list: readonly I[]): (failed: I) => I | null {
  return (failed) => list[list.indexOf(failed) + 1] ?? null;
}
