import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clusterDir } from '../core/paths.js';

/**
 * A cluster's secrets, made once per cluster name at its first `flix up` and kept (mode 0600) in
 * `$FLIX_HOME/clusters/<name>/secrets.json`: the key edges check signed URLs with, and the key
 * user tokens are hashed with. `flix down --purge` removes them with the rest of the cluster.
 */
export interface ClusterSecrets {
  /** nginx secure_link secret shared by the playback service and the edges */
  edgeSigningKey: string;
  /** pepper for the hashes of API tokens stored in MySQL */
  tokenPepper: string;
}

export function secretsFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(clusterDir(name, env), 'secrets.json');
}

/** Reads the cluster's secrets, making them first if there are none (safe to race: first writer wins). */
export async function clusterSecrets(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClusterSecrets> {
  const file = secretsFile(name, env);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ClusterSecrets;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const fresh: ClusterSecrets = {
    edgeSigningKey: randomBytes(24).toString('base64url'),
    tokenPepper: randomBytes(24).toString('base64url'),
  };
  await mkdir(dirname(file), { recursive: true });
  // written whole under a temporary name, then linked into place: a reader never sees a half
  // written file, and of several processes racing to make them the first link wins
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(fresh, null, 2), { mode: 0o600 });
  try {
    await link(tmp, file);
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return JSON.parse(await readFile(file, 'utf8')) as ClusterSecrets;
  } finally {
    await unlink(tmp);
  }
}
