import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPlan } from '../../cluster/components.js';
import { requireBinary } from '../binaries.js';
import type { EngineDriver } from '../driver.js';
import { targetsFile } from './targets.js';

/**
 * The Prometheus server: scrapes every component that serves metrics, every `scrapeSeconds`. It
 * finds them in a file the supervisor rewrites as components start and stop (file-based service
 * discovery, which Prometheus watches), so a restarted service on the same port is scraped again
 * and a failed one shows as a target that is down.
 */
export const prometheusDriver: EngineDriver = {
  metricsPath: '/metrics',

  async prepare(c) {
    await mkdir(c.dataDir, { recursive: true });
    await mkdir(c.confDir, { recursive: true });
    await writeFile(join(c.confDir, 'prometheus.yml'), prometheusConfig(c));
  },

  launch(c: ComponentPlan) {
    return {
      file: requireBinary('prometheus'),
      args: [
        `--config.file=${join(c.confDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${c.dataDir}`,
        `--storage.tsdb.retention.time=${c.settings.retention}`,
        `--web.listen-address=127.0.0.1:${c.ports.http}`,
        // logfmt on one line per event, like the other engines' logs
        '--log.format=logfmt',
      ],
    };
  },

  /** Ready when Prometheus says it can answer queries. */
  async probe(c) {
    const res = await fetch(`${c.endpoint}/-/ready`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) throw new Error(`prometheus /-/ready answered ${res.status}`);
  },
};

/** One job over the supervisor's targets file; each target says its own path and labels. */
export function prometheusConfig(c: ComponentPlan): string {
  const every = `${c.settings.scrapeSeconds}s`;
  return [
    'global:',
    `  scrape_interval: ${every}`,
    `  evaluation_interval: ${every}`,
    // a component that takes longer to answer a scrape than this is down, however long the interval
    `  scrape_timeout: ${Math.min(5, Number(c.settings.scrapeSeconds))}s`,
    'scrape_configs:',
    '  - job_name: flix',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(targetsFile(c.confDir))}]`,
    `        refresh_interval: ${every}`,
    '',
  ].join('\n');
}
