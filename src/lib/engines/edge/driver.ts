import { appendFile, chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPlan } from '../../cluster/components.js';
import { clusterSecrets } from '../../cluster/secrets.js';
import { templatesDir } from '../../core/paths.js';
import { requireBinary } from '../binaries.js';
import type { EngineDriver } from '../driver.js';
import { renderTemplateFile } from '../template.js';
import { ORIGIN_TIER_FILE } from './cache.js';
import { assertEdgeSecret } from './signing.js';

/** A file only the cluster's user can read (writeFile keeps the mode of a file that exists). */
async function writeSecretFile(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * nginx as an Open Connect-style edge: a disk proxy cache in front of the origin bucket that
 * serves only signed title URLs (docs/control-plane.md, "Signed edge URLs"), checked with the
 * cluster's edgeSigningKey, and signs its own requests to the private origin.
 */
export const edgeDriver: EngineDriver = {
  async prepare(c, ctx) {
    const secrets = await clusterSecrets(ctx.clusterName);
    assertEdgeSecret(secrets.edgeSigningKey);
    // nginx creates the cache and temp subdirs itself, but not their parents
    await mkdir(join(c.dataDir, 'tmp'), { recursive: true });
    const conf = join(c.confDir, 'nginx.conf');
    const jsPath = join(c.confDir, 'edge.js');
    await mkdir(c.confDir, { recursive: true });
    await copyFile(join(templatesDir, 'nginx', 'edge.js'), jsPath);
    const accessLog = join(c.dataDir, 'access.log');
    await renderTemplateFile('nginx/edge.conf', conf, {
      prefix: c.dataDir,
      confPath: conf,
      port: c.ports.http as number,
      originPort: c.settings.originPort as number,
      cacheDir: join(c.dataDir, 'cache'),
      cacheMaxSize: c.settings.cacheMaxSize as string,
      zone: c.zone ?? 'none',
      accessLog,
      jsPath,
    });
    // the keys, kept out of the main config, included by it (see templates/nginx/edge.conf)
    await writeSecretFile(
      join(c.confDir, 'edge-secret.conf'),
      `map "" $flix_edge_secret {\n    default "${secrets.edgeSigningKey}";\n}\n`,
    );
    await writeSecretFile(
      join(c.confDir, 'origin-credentials.conf'),
      `map "" $s3_access_key {\n    default "${secrets.originAccessKey}";\n}\nmap "" $s3_secret_key {\n    default "${secrets.originSecretKey}";\n}\n`,
    );
    // the origin-tier list survives a restart (the distribution service owns it); nginx refuses
    // to start when an included file is missing
    await appendFile(join(c.confDir, ORIGIN_TIER_FILE), '', { mode: 0o600 });
    // nginx keeps the mode of a log file that exists: the log is for the operator only
    await appendFile(accessLog, '', { mode: 0o600 });
    await chmod(accessLog, 0o600);
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
