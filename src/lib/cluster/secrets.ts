import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clusterDir } from '../core/paths.js';

/**
 * A cluster's secrets, made once per cluster name at its first `flix up` and kept (mode 0600, in
 * a file only the user who runs flix can read) in `$FLIX_HOME/clusters/<name>/secrets.json`.
 * Whoever can read this file is the cluster: every service-to-service call, every discovery
 * registration and every operator command is authenticated with `internalKey`; the engines that
 * have accounts get random credentials. `flix status --credentials` shows the engine accounts;
 * `flix down --purge` removes them with the rest of the cluster.
 */
export interface ClusterSecrets {
  /** nginx secure_link secret shared by the playback service and the edges */
  edgeSigningKey: string;
  /** pepper for the hashes of API tokens stored in MySQL */
  tokenPepper: string;
  /** HMAC key of the internal tokens every call inside the cluster carries */
  internalKey: string;
  /** MariaDB: root (local socket only) and the flix account the services use */
  mysqlRootPassword: string;
  mysqlPassword: string;
  /** the S3 origin's credentials (the edges sign their origin requests with them) */
  originAccessKey: string;
  originSecretKey: string;
  /** signs share links (a link names a title and an expiry, and cannot be altered) */
  shareKey: string;
}

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/** A fresh value for every secret; the access key is an AWS-style upper-case id. */
function freshSecrets(): ClusterSecrets {
  return {
    edgeSigningKey: random(24),
    tokenPepper: random(24),
    internalKey: random(32),
    mysqlRootPassword: random(18),
    mysqlPassword: random(18),
    originAccessKey: `FLIX${randomBytes(8).toString('hex').toUpperCase()}`,
    originSecretKey: random(30),
    shareKey: random(32),
  };
}

export function secretsFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(clusterDir(name, env), 'secrets.json');
}

/**
 * Reads the cluster's secrets, making them first if there are none (safe to race: first writer
 * wins). A file written by an older flix lacks the newer secrets: they are added (whole file
 * written under a temporary name, then renamed into place, so no reader sees half of it) and the
 * ones it has are kept — the edges' key and the token pepper must not change under running data.
 */
export async function clusterSecrets(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClusterSecrets> {
  const file = secretsFile(name, env);
  const existing = await readSecrets(file);
  if (existing) {
    const fresh = freshSecrets();
    const missing = (Object.keys(fresh) as Array<keyof ClusterSecrets>).filter((k) => !existing[k]);
    if (missing.length === 0) return existing as ClusterSecrets;
    const upgraded = { ...fresh, ...existing } as ClusterSecrets;
    const tmp = tempName(file);
    await writeFile(tmp, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    await rename(tmp, file);
    // a racing upgrader may have renamed its own file into place first: everyone uses that one
    return (await readSecrets(file)) as ClusterSecrets;
  }
  const fresh = freshSecrets();
  await mkdir(dirname(file), { recursive: true });
  // written whole under a temporary name, then linked into place: a reader never sees a half
  // written file, and of several processes racing to make them the first link wins
  const tmp = tempName(file);
  await writeFile(tmp, JSON.stringify(fresh, null, 2), { mode: 0o600 });
  try {
    await link(tmp, file);
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return clusterSecrets(name, env);
  } finally {
    await unlink(tmp);
  }
}

async function readSecrets(file: string): Promise<Partial<ClusterSecrets> | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Partial<ClusterSecrets>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const tempName = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
