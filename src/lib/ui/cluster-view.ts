import chalk from 'chalk';
import type { ComponentState, ComponentStatus } from '../cluster/components.js';
import { type ClusterState, uptimeSeconds } from '../cluster/state.js';
import { formatDuration, renderTable } from './table.js';

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
