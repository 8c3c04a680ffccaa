import { join } from 'node:path';
import type { ComponentState, ComponentStatus } from '../../cluster/components.js';

/** Prometheus's file-based discovery: groups of addresses with their labels. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Where the supervisor writes the targets, in the Prometheus component's config folder. */
export function targetsFile(prometheusConfDir: string): string {
  return join(prometheusConfDir, 'targets.json');
}

/** Components that are meant to be running: a restarting or failed one is a target that is down. */
const present: ReadonlySet<ComponentState> = new Set(['starting', 'healthy', 'restarting', 'failed']);

/**
 * The engines without a Prometheus endpoint of their own whose numbers the log agent reads through
 * their clients and serves at `/metrics/engine/<component>`.
 */
export const ENGINES_READ_BY_AGENT: ReadonlySet<string> = new Set([
  'kafka',
  'cassandra',
  'elasticsearch',
  'mysql',
  'origin',
  'memcached',
  'edge',
]);

/**
 * The scrape targets of a cluster now: every component meant to be running, at its own metrics
 * endpoint (`metricsPath`) or, for an engine that has none, at the agent that reads it (`agent`:
 * the log agent's component). Each is labelled with its name, zone and kind so that a series says
 * where it comes from without the component repeating it; an engine's target is up while the
 * agent can read the engine.
 */
export function scrapeTargets(
  components: readonly ComponentStatus[],
  metricsPath: (c: ComponentStatus) => string | undefined,
  kind: (c: ComponentStatus) => string,
  agent?: string,
): TargetGroup[] {
  const groups: TargetGroup[] = [];
  const reader = components.find(
    (c) => c.name === agent && present.has(c.state) && c.ports.http !== undefined,
  );
  for (const c of components) {
    if (!present.has(c.state)) continue;
    const labels = { component: c.name, zone: c.zone ?? '', kind: kind(c) };
    const path = metricsPath(c);
    const port = c.ports.http;
    if (path && port !== undefined)
      groups.push({ targets: [`127.0.0.1:${port}`], labels: { __metrics_path__: path, ...labels } });
    else if (!path && reader && ENGINES_READ_BY_AGENT.has(c.engine))
      groups.push({
        targets: [`127.0.0.1:${reader.ports.http}`],
        labels: { __metrics_path__: `/metrics/engine/${encodeURIComponent(c.name)}`, ...labels },
      });
  }
  return groups;
}
