import { join } from 'node:path';
import { flix, repoRoot } from './cli.js';

/** The cluster the integration suites share (started by test/setup/shared-cluster.ts). */
export const SHARED_CLUSTER = 'itest';

export interface Component {
  name: string;
  role: string;
  zone: string | null;
  state: string;
  pid: number;
  endpoint: string;
  ports: Record<string, number>;
  restarts: number;
}

/** The components of a cluster as `flix status --json` reports them. */
export async function status(name = SHARED_CLUSTER): Promise<Component[]> {
  const r = await flix(['status', '--name', name, '--json']);
  return (r.json?.components ?? []) as Component[];
}

/** A component's endpoint; throws if the cluster has no such component. */
export async function endpointOf(component: string, name = SHARED_CLUSTER): Promise<string> {
  const c = (await status(name)).find((x) => x.name === component);
  if (!c) throw new Error(`cluster ${name} has no component ${component}`);
  return c.endpoint;
}

/** A name no other suite uses in the shared cluster (titles and users are unique per cluster). */
export function unique(base: string): string {
  return `${base}-${process.pid}-${Date.now() % 100_000}`;
}

/** The headers the operator's commands send: the cluster's internal token, as `operator`. */
export async function operatorHeaders(name = SHARED_CLUSTER): Promise<Record<string, string>> {
  const { clusterSecrets } = await import('../../src/lib/cluster/secrets.js');
  const { InternalSigner, OPERATOR } = await import('../../src/lib/platform/internal-auth.js');
  return new InternalSigner((await clusterSecrets(name)).internalKey, OPERATOR).headers();
}

/** An S3 client of the cluster's origin with the cluster's own credentials. */
export async function originOf(name = SHARED_CLUSTER) {
  const { clusterSecrets } = await import('../../src/lib/cluster/secrets.js');
  const { originClient } = await import('../../src/lib/engines/origin/client.js');
  return originClient(await endpointOf('origin', name), await clusterSecrets(name));
}

/** `flix ingest fixtures/media/good.mp4 --title TITLE --wait`: the ready title's id (the run must succeed). */
export async function ingestGoodClip(title: string, name = SHARED_CLUSTER): Promise<string> {
  const clip = join(repoRoot, 'fixtures', 'media', 'good.mp4');
  const r = await flix(['ingest', clip, '--title', title, '--wait', '--name', name, '--json']);
  if (r.exitCode !== 0) throw new Error(`flix ingest of ${title} exited ${r.exitCode}: ${r.stderr}`);
  return r.json.id as string;
}

/** `flix users create USER --plan PLAN --region US`: the new user's API token (the run must succeed). */
export async function createUser(
  user: string,
  plan: 'basic' | 'standard' | 'premium' = 'standard',
  name = SHARED_CLUSTER,
): Promise<string> {
  const r = await flix(['users', 'create', user, '--plan', plan, '--region', 'US', '--name', name, '--json']);
  if (r.exitCode !== 0) throw new Error(`flix users create ${user} exited ${r.exitCode}: ${r.stderr}`);
  return r.json.token as string;
}
