import type { ComponentPlan } from './components.js';
import type { ClusterDefinition } from './definition.js';

/** What `flix up` hands the supervisor (plan.json in the cluster dir). */
export interface SupervisorPlan {
  name: string;
  clusterFile: string;
  restart: ClusterDefinition['restart'];
  timeouts: ClusterDefinition['timeouts'];
  components: ComponentPlan[];
}
