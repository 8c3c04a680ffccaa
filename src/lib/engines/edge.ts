import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPlan } from '../cluster/components.js';
import { requireBinary } from './binaries.js';
import type { EngineDriver } from './driver.js';
import { renderTemplateFile } from './template.js';

/** nginx as an Open Connect-style edge: a disk proxy cache in front of the origin bucket. */
export const edgeDriver: EngineDriver = {
  async prepare(c) {
    // nginx creates the cache and temp subdirs itself, but not their parents
    await mkdir(join(c.dataDir, 'tmp'), { recursive: true });
    await renderTemplateFile('nginx/edge.conf', join(c.confDir, 'nginx.conf'), {
      prefix: c.dataDir,
      confPath: join(c.confDir, 'nginx.conf'),
      port: c.ports.http as number,
      originPort: c.settings.originPort as number,
      cacheDir: join(c.dataDir, 'cache'),
      cacheMaxSize: c.settings.cacheMaxSize as string,
      zone: c.zone ?? 'none',
      accessLog: join(c.dataDir, 'access.log'),
    });
  },

  launch(c: ComponentPlan) {
    return {
      file: requireBinary('nginx'),
      args: ['-p', `${c.dataDir}/`, '-c', join(c.confDir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'],
    };
  },

  async probe(c) {
    const res = await fetch(`${c.endpoint}/health`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) throw new Error(`edge /health answered ${res.status}`);
    await res.text();
  },
};
