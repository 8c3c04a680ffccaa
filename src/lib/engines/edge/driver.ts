import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPlan } from '../../cluster/components.js';
import { clusterSecrets } from '../../cluster/secrets.js';
import { requireBinary } from '../binaries.js';
import type { EngineDriver } from '../driver.js';
import { renderTemplateFile } from '../template.js';
import { assertEdgeSecret } from './signing.js';

/**
 * nginx as an Open Connect-style edge: a disk proxy cache in front of the origin bucket that
 * serves only signed title URLs (docs/control-plane.md, "Signed edge URLs"), checked with the
 * cluster's edgeSigningKey.
 */
export const edgeDriver: EngineDriver = {
  async prepare(c, ctx) {
    const { edgeSigningKey } = await clusterSecrets(ctx.clusterName);
    assertEdgeSecret(edgeSigningKey);
    // nginx creates the cache and temp subdirs itself, but not their parents
    await mkdir(join(c.dataDir, 'tmp'), { recursive: true });
    const conf = join(c.confDir, 'nginx.conf');
    await renderTemplateFile('nginx/edge.conf', conf, {
      prefix: c.dataDir,
      confPath: conf,
      port: c.ports.http as number,
      originPort: c.settings.originPort as number,
      cacheDir: join(c.dataDir, 'cache'),
      cacheMaxSize: c.settings.cacheMaxSize as string,
      zone: c.zone ?? 'none',
      accessLog: join(c.dataDir, 'access.log'),
    });
    // the key, kept out of the main config, included by it (see templates/nginx/edge.conf)
    const secretConf = join(c.confDir, 'edge-secret.conf');
    await writeFile(secretConf, `map "" $flix_edge_secret {\n    default "${edgeSigningKey}";\n}\n`, {
      mode: 0o600,
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
