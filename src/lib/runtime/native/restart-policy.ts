import type { ClusterDefinition } from '../../cluster/definition.js';

export type RestartPolicy = ClusterDefinition['restart'];

/** Should the supervisor restart a component that exited on its own? */
export function shouldRestart(
  policy: RestartPolicy,
  exit: { code: number | null; signal: string | null },
  restartsSoFar: number,
): boolean {
  if (restartsSoFar >= policy.maxRestarts) return false;
  switch (policy.policy) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'on-failure':
      return exit.signal !== null || exit.code !== 0;
  }
}
