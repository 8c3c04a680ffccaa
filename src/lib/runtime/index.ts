import { type ClusterEndpoints, endpointsFromPlan, readPlan } from '../cluster/endpoints.js';
import type { ClusterState } from '../cluster/state.js';
import { FlixError } from '../core/errors.js';
import { type DownOptions, type DownResult, down } from './native/down.js';
import { clusterLiveness, type Liveness } from './native/liveness.js';
import { type UpOptions, up } from './native/up.js';

/**
 * What a runtime does for a cluster: start it from a definition, stop it, and tell whether it is
 * running. The native runtime (every component a child process on this machine) is the one flix
 * has; a container runtime would be a second implementation of this contract, so commands and
 * operator actions never reach into a runtime's internals.
 */
export interface Runtime {
  up(opts: UpOptions): Promise<ClusterState>;
  down(opts: DownOptions): Promise<DownResult>;
  liveness(name: string, env?: NodeJS.ProcessEnv): Promise<Liveness>;
}

export type { DownOptions, DownResult, Liveness, UpOptions };

export const nativeRuntime: Runtime = { up, down, liveness: clusterLiveness };

/** The runtime of a cluster (native for every cluster today). */
export function runtimeFor(_name: string): Runtime {
  return nativeRuntime;
}

/** The endpoints of a cluster that is running; a clear error if it is not. */
export async function runningClusterEndpoints(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClusterEndpoints> {
  const live = await runtimeFor(name).liveness(name, env);
  const plan = await readPlan(name, env);
  if (!live.supervisorAlive || !plan || live.state?.phase !== 'running') {
    throw new FlixError(`cluster '${name}' is not running`, {
      code: 'notRunning',
      nextStep: `\`flix up --name ${name}\` starts it`,
    });
  }
  return endpointsFromPlan(name, plan.components);
}
