/**
 * The component model every runtime works with. A component is one process of the cluster: an
 * engine instance (kafka, memcached-a, edge-b, ...) and later the flix services. It is plain,
 * serialisable data; how it starts and how it is probed live in the engine driver named by
 * `engine` (src/lib/engines/).
 */

export type Role =
  | 'event-log'
  | 'wide-column-store'
  | 'relational-store'
  | 'cache'
  | 'search'
  | 'origin'
  | 'edge'
  | 'tracing'
  | 'metrics'
  | 'service';

export type EngineId =
  | 'kafka'
  | 'cassandra'
  | 'elasticsearch'
  | 'mysql'
  | 'memcached'
  | 'origin'
  | 'edge'
  | 'zipkin'
  | 'prometheus';
/** What starts a component: an engine driver, or `service` for the flix services (`flix serve`). */
export type RunnerId = EngineId | 'service';

export interface ComponentPlan {
  /** unique in the cluster: `kafka`, `memcached-a`, `edge-b` */
  name: string;
  role: Role;
  engine: RunnerId;
  /** the zone a per-zone component belongs to; null for cluster-wide engines */
  zone: string | null;
  ports: Record<string, number>;
  /** names of components that must be healthy before this one starts */
  dependsOn: string[];
  /** what a client connects to, e.g. `127.0.0.1:9092` or `http://127.0.0.1:8080` */
  endpoint: string;
  /** engine settings from the cluster file (heap sizes, memory) */
  settings: Record<string, unknown>;
  dataDir: string;
  confDir: string;
  logFile: string;
}

export type ComponentState =
  | 'pending'
  | 'starting'
  | 'healthy'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'failed';

export interface ComponentStatus {
  name: string;
  role: Role;
  engine: RunnerId;
  zone: string | null;
  state: ComponentState;
  pid: number | null;
  /** /proc start time of pid, so a recycled pid is never mistaken for ours */
  pidStartTime: number | null;
  endpoint: string;
  ports: Record<string, number>;
  /** ms since epoch when the current process became healthy */
  healthySince: number | null;
  startedAt: number | null;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: number } | null;
  logFile: string;
  message?: string;
}
