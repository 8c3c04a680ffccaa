import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the installed flix package (holds templates/, cluster/, bin/). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const templatesDir = join(packageRoot, 'templates');
export const builtinClustersDir = join(packageRoot, 'cluster');
export const flixBin = join(packageRoot, 'bin', 'run.js');

/** Where flix keeps engines and cluster state: $FLIX_HOME, default ~/.flix. */
export function flixHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLIX_HOME ? resolve(env.FLIX_HOME) : join(homedir(), '.flix');
}

export function enginesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(flixHome(env), 'engines');
}

/** Everything one named cluster owns: state, logs, data, rendered configs. */
export function clusterDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(flixHome(env), 'clusters', name);
}

export interface ClusterPaths {
  root: string;
  state: string;
  plan: string;
  supervisorPid: string;
  supervisorLog: string;
  ports: string;
  logs: string;
  data: string;
  conf: string;
  /** each component's scratch space (`scratch/<component>/`), emptied when the component starts */
  scratch: string;
}

export function clusterPaths(name: string, env: NodeJS.ProcessEnv = process.env): ClusterPaths {
  const root = clusterDir(name, env);
  return {
    root,
    state: join(root, 'state.json'),
    plan: join(root, 'plan.json'),
    supervisorPid: join(root, 'supervisor.pid'),
    supervisorLog: join(root, 'logs', 'supervisor.log'),
    ports: join(root, 'ports.json'),
    logs: join(root, 'logs'),
    data: join(root, 'data'),
    conf: join(root, 'conf'),
    scratch: join(root, 'scratch'),
  };
}

/** Cluster name from --name, else FLIX_CLUSTER, else "default". */
export function resolveClusterName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.FLIX_CLUSTER ?? 'default';
}

/** Where `flix users create <user>` keeps a user's API token. */
export function userTokenFile(cluster: string, user: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(clusterDir(cluster, env), 'tokens', user);
}
