import { basename, join } from 'node:path';
import type { ComponentPlan } from '../../cluster/components.js';
import type { LogSource } from './contract.js';
import type { LogFormat } from './formats.js';

/** A file the agent follows, and what its lines are. */
export interface LogFile {
  path: string;
  component: string;
  service: string;
  zone: string | null;
  source: LogSource;
  format: LogFormat;
}

const engineFormats: Record<string, LogFormat> = {
  kafka: 'kafka',
  cassandra: 'cassandra',
  elasticsearch: 'elasticsearch',
  mysql: 'mariadb',
  origin: 's3proxy',
  edge: 'nginx',
};

/**
 * Every log of a cluster: each component's own (its stdout and stderr, where every engine of the
 * cluster is set to log), each edge's access log, and the supervisor's. Any other `*.log` a tool
 * drops in the cluster's log folder is followed too, as plain lines of a component named after it.
 */
export function logFiles(
  components: readonly ComponentPlan[],
  supervisorLog: string,
  otherLogs: readonly string[] = [],
): LogFile[] {
  const files: LogFile[] = components.map((c) => {
    const service = c.engine === 'service' ? String(c.settings.service ?? c.name) : c.engine;
    return {
      path: c.logFile,
      component: c.name,
      service,
      zone: c.zone,
      source: c.engine === 'service' ? 'service' : 'engine',
      format: c.engine === 'service' ? 'pino' : (engineFormats[c.engine] ?? 'plain'),
    };
  });
  for (const c of components)
    if (c.engine === 'edge')
      files.push({
        path: join(c.dataDir, 'access.log'),
        component: c.name,
        service: 'edge',
        zone: c.zone,
        source: 'access',
        format: 'nginx',
      });
  files.push({
    path: supervisorLog,
    component: 'supervisor',
    service: 'supervisor',
    zone: null,
    source: 'supervisor',
    format: 'supervisor',
  });
  const known = new Set(files.map((f) => f.path));
  for (const path of otherLogs)
    if (path.endsWith('.log') && !known.has(path))
      files.push({
        path,
        component: basename(path, '.log'),
        service: basename(path, '.log'),
        zone: null,
        source: 'other',
        format: 'plain',
      });
  return files;
}
