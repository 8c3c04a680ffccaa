import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { parseDocument } from 'yaml';
import { flix, repoRoot } from '../helpers/cli.js';
import { SHARED_CLUSTER } from '../helpers/cluster.js';

/**
 * One CI cluster for every integration suite that can share it (they run one file at a time):
 * started once before the first suite, stopped after the last. Its definition is cluster/ci.yaml
 * with a catalog canary (the sharding tests), a low per-user rate limit (the 429 tests: five
 * requests a second is far above what a player sends through the API) and a short stream lease
 * (the plan test). Suites keep their titles and users apart by name.
 */
export default async function setup(project: TestProject) {
  execFileSync('bash', [join(repoRoot, 'fixtures', 'make-fixtures.sh')], { stdio: 'inherit' });
  const dir = await mkdtemp(join(tmpdir(), 'flix-shared-cluster-'));
  const doc = parseDocument(await readFile(join(repoRoot, 'cluster', 'ci.yaml'), 'utf8'));
  doc.setIn(['services', 'catalog'], { canary: 1 });
  doc.setIn(['services', 'gateway'], { rateLimit: { perUser: { rps: 5, burst: 10 } } });
  // a silent play gives its stream slot back after 8 s (the plan test waits for it)
  doc.setIn(['services', 'playback'], { streamLeaseSeconds: 8 });
  const file = join(dir, `${SHARED_CLUSTER}.yaml`);
  await writeFile(file, doc.toString());
  // FLIX_KEEP_CLUSTER=1 (a developer's loop over one suite): reuse a running cluster, leave it up
  const keep = process.env.FLIX_KEEP_CLUSTER === '1';
  const running = keep ? await flix(['status', '--name', SHARED_CLUSTER, '--json']) : null;
  if (running?.exitCode === 0 && running.json?.healthy === true) {
    project.provide('clusterFile', running.json.clusterFile ?? file);
    return async () => rm(dir, { recursive: true, force: true });
  }
  await flix(['down', '--name', SHARED_CLUSTER, '--purge']);
  const r = await flix(['up', '--cluster', file, '--name', SHARED_CLUSTER, '--json']);
  if (r.exitCode !== 0)
    throw new Error(`flix up of the shared cluster failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  project.provide('clusterFile', file);
  return async () => {
    if (keep) return; // its definition stays with it
    await flix(['down', '--name', SHARED_CLUSTER, '--purge']);
    await rm(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    clusterFile: string;
  }
}
