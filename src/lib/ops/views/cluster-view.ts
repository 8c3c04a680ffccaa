import chalk from 'chalk';
import type { ComponentState, ComponentStatus } from '../../cluster/components.js';
import { type ClusterState, uptimeSeconds } from '../../cluster/state.js';
import { formatDuration, renderTable } from '../../core/table.js';

const stateColour: Record<ComponentState, (s: string) => string> = {
  pending: chalk.gray,
  starting: chalk.yellow,
  healthy: chalk.green,
  restarting: chalk.yellow,
  stopping: chalk.yellow,
  stopped: chalk.gray,
  failed: chalk.red,
};

export function componentRows(components: ComponentStatus[], now = Date.now()): string[][] {
  return components.map((c) => [
    c.name,
    c.role,
    c.zone ?? '-',
    stateColour[c.state](c.state),
    c.pid ? String(c.pid) : '-',
    c.endpoint,
    formatDuration(uptimeSeconds(c, now)),
    String(c.restarts),
  ]);
}

export const componentHeaders = ['name', 'role', 'zone', 'state', 'pid', 'endpoint', 'uptime', 'restarts'];

export function renderClusterTable(state: ClusterState, now = Date.now()): string {
  return renderTable(componentHeaders, componentRows(state.components, now));
}

/** The JSON shape of one component in `status --json` and `up --json`. */
export function componentJson(c: ComponentStatus, now = Date.now()) {
  return {
    name: c.name,
    role: c.role,
    engine: c.engine,
    zone: c.zone,
    state: c.state,
    pid: c.pid,
    endpoint: c.endpoint,
    ports: c.ports,
    uptimeSeconds: uptimeSeconds(c, now),
    restarts: c.restarts,
    lastExit: c.lastExit,
    logFile: c.logFile,
    ...(c.message ? { message: c.message } : {}),
  };
}

/** One dependency's isolation as a service's /status reports it (CommandSnapshot, loosely read). */
export interface BreakerView {
  name: string;
  breaker: { state: string; reason?: string };
  isolated?: boolean;
  window?: { requests: number; failures: number };
  counts?: Partial<
    Record<'successes' | 'failures' | 'timeouts' | 'rejections' | 'shortCircuits' | 'fallbacks', number>
  >;
  inFlight?: number;
  limits?: { maxConcurrent?: number };
}

/** The breakers of one running service component, or why they could not be read. */
export interface ComponentBreakers {
  component: string;
  service: string | null;
  zone: string | null;
  breakers: BreakerView[];
  error?: string;
}

const breakerColour = (state: string) =>
  state === 'closed' ? chalk.green(state) : state === 'open' ? chalk.red(state) : chalk.yellow(state);

/** The table of `flix status --breakers`: one row per component and dependency. */
export function renderBreakersTable(rows: ComponentBreakers[]): string {
  const n = (v: number | undefined) => String(v ?? 0);
  const lines = rows.flatMap((r) => {
    if (r.error) return [[r.component, '-', chalk.red('no answer'), '-', '-', '-', r.error]];
    return r.breakers.map((b) => [
      r.component,
      b.name,
      breakerColour(b.isolated ? 'isolated' : (b.breaker?.state ?? '?')),
      `${n(b.window?.requests)}/${n(b.window?.failures)}`,
      [
        b.counts?.successes,
        b.counts?.failures,
        b.counts?.timeouts,
        b.counts?.rejections,
        b.counts?.shortCircuits,
        b.counts?.fallbacks,
      ]
        .map(n)
        .join('/'),
      `${n(b.inFlight)}/${b.limits?.maxConcurrent ?? '-'}`,
      '',
    ]);
  });
  if (lines.length === 0) return 'No service has made a call yet: no breakers to show.';
  return renderTable(
    [
      'component',
      'dependency',
      'breaker',
      'window req/fail',
      'ok/fail/timeout/rejected/short/fallback',
      'in flight',
      'note',
    ],
    lines,
  );
}
