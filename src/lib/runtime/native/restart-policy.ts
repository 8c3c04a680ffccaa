import type { ClusterDefinition } from '../../cluster/definition.js';

export type RestartPolicy = ClusterDefinition['restart'];

/**
 * Should the supervisor restart a component that exited on its own? A budget per time window
 * (`maxRestarts` in the last `windowSeconds`), as supervisors do: a component that crashes now
 * and then on a long-running dev cluster keeps coming back, one that crash-loops is left down.
 */
export function shouldRestart(
  policy: RestartPolicy,
  exit: { code: number | null; signal: string | null },
  restartTimes: readonly number[],
  now: number,
): boolean {
  if (restartsInWindow(policy, restartTimes, now) >= policy.maxRestarts) return false;
  switch (policy.policy) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'on-failure':
      return exit.signal !== null || exit.code !== 0;
  }
}

/** The restarts (ms since epoch) that count against the budget at `now`. */
export function restartsInWindow(
  policy: RestartPolicy,
  restartTimes: readonly number[],
  now: number,
): number {
  const since = now - policy.windowSeconds * 1000;
  return restartTimes.filter((t) => t > since).length;
}
