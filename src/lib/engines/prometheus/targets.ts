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
 * The scrape targets of a cluster now: every component meant to be running whose engine serves
 * Prometheus metrics (`metricsPath`), labelled with its name, zone and kind so that a series
 * says where it comes from without the component repeating it.
 */
export function scrapeTargets(
  components: readonly ComponentStatus[],
  metricsPath: (c: ComponentStatus) => string | undefined,
  kind: (c: ComponentStatus) => string,
): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const c of components) {
    const path = metricsPath(c);
    const port = c.ports.http;
    if (!path || port === undefined || !present.has(c.state)) continue;
    groups.push({
      targets: [`127.0.0.1:${port}`],
      labels: { __metrics_path__: path, component: c.name, zone: c.zone ?? '', kind: kind(c) },
    });
  }
  return groups;
}
