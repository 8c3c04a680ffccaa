import type { ComponentPlan } from '../cluster/components.js';

/** The foreground process that runs a component. */
export interface LaunchSpec {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

/** What a driver needs to know about the machine it starts an engine on. */
export interface EngineContext {
  clusterName: string;
  /** $FLIX_HOME/engines */
  enginesDir: string;
  /** unprivileged account for engines that refuse root (Elasticsearch) */
  runAs: { uid: number; gid: number } | null;
}

/**
 * How the native runtime starts one engine and tells it is healthy (a builder plus
 * a readiness strategy; here readiness is always a query through the engine's real client).
 */
export interface EngineDriver {
  /** Render configs and initialise the data dir. Idempotent: a restart keeps the data. */
  prepare(c: ComponentPlan, ctx: EngineContext): Promise<void>;
  /** The foreground process to run. */
  launch(c: ComponentPlan, ctx: EngineContext): LaunchSpec;
  /** Resolves when the engine answers through its real client; throws with the reason if not. */
  probe(c: ComponentPlan, ctx: EngineContext): Promise<void>;
  /** Where the engine serves Prometheus metrics on its `http` port, when it does. */
  metricsPath?: string;
}
