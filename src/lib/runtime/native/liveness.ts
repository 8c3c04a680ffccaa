import type { ComponentStatus } from '../../cluster/components.js';
import { type ClusterState, readState } from '../../cluster/state.js';
import { clusterPaths } from '../../core/paths.js';
import { isOurProcessAlive } from './processes.js';

export interface Liveness {
  state: ClusterState | null;
  supervisorAlive: boolean;
  /** components whose recorded process still runs */
  liveComponents: ComponentStatus[];
}

/** Read a cluster's state and check which of its recorded processes still run. */
export async function clusterLiveness(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Liveness> {
  const state = await readState(clusterPaths(name, env).state);
  if (!state) return { state: null, supervisorAlive: false, liveComponents: [] };
  const supervisorAlive = isOurProcessAlive(state.supervisor.pid, state.supervisor.pidStartTime);
  const liveComponents = state.components.filter((c) => isOurProcessAlive(c.pid, c.pidStartTime));
  return { state, supervisorAlive, liveComponents };
}
