import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ComponentPlan, EngineId } from '../../cluster/components.js';
import { type ClusterDefinition, loadClusterDefinition } from '../../cluster/definition.js';
import { startWaves } from '../../cluster/order.js';
import { instances, planCluster, portRequests } from '../../cluster/plan.js';
import { assignPorts, autoRangeFor, loopbackPorts, type PortAssignment } from '../../cluster/ports.js';
import { clusterSecrets } from '../../cluster/secrets.js';
import { type ClusterState, readJson, readState, writeJsonAtomic } from '../../cluster/state.js';
import type { SupervisorPlan } from '../../cluster/supervisor-plan.js';
import { FlixError } from '../../core/errors.js';
import { type ClusterPaths, clusterPaths, enginesDir, flixBin } from '../../core/paths.js';
import { engineRunAs, engineUser } from '../../engines/engine-user.js';
import { firstBlockedOnWayTo } from '../../engines/engine-user-access.js';
import { checkEngine } from '../../engines/installation.js';
import { clusterLiveness } from './liveness.js';
import { isOurProcessAlive, processStartTime, tailFile } from './processes.js';

export interface UpOptions {
  name: string;
  clusterFile: string;
  env?: NodeJS.ProcessEnv;
  /** called with every new state while the cluster starts */
  onProgress?: (state: ClusterState) => void;
  /** aborting stops the half-started cluster */
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `flix up`: validate, check engines and ports, hand a plan to a detached supervisor and follow
 * its state until every component is healthy. On failure the supervisor has already stopped
 * what it started; the error names the component and shows its last log lines.
 */
export async function up(opts: UpOptions): Promise<ClusterState> {
  const env = opts.env ?? process.env;
  const paths = clusterPaths(opts.name, env);
  const { definition } = await loadClusterDefinition(opts.clusterFile);
  await refuseIfRunning(opts.name, env);
  await checkEnginesReady(definition, paths, env);
  const components = await writePlan(opts, definition, paths, env);
  const supervisor = startSupervisor(opts.name, paths, env);
  return followStart(opts, definition, components, paths, supervisor);
}

/** A cluster whose supervisor (or any of whose components) still runs is not started twice. */
async function refuseIfRunning(name: string, env: NodeJS.ProcessEnv): Promise<void> {
  const live = await clusterLiveness(name, env);
  if (live.supervisorAlive) {
    throw new FlixError(
      `cluster '${name}' is already running (supervisor pid ${live.state?.supervisor.pid})`,
      {
        code: 'alreadyRunning',
        nextStep: `\`flix status --name ${name}\` to see it, \`flix down --name ${name}\` to stop it, or start another with --name`,
      },
    );
  }
  if (live.liveComponents.length > 0) {
    throw new FlixError(
      `cluster '${name}' has components still running without a supervisor: ${live.liveComponents.map((c) => `${c.name} (pid ${c.pid})`).join(', ')}`,
      { code: 'alreadyRunning', nextStep: `\`flix down --name ${name}\` stops them` },
    );
  }
}

/** Every engine the cluster runs is installed, and Elasticsearch's user can reach the cluster dir. */
async function checkEnginesReady(definition: ClusterDefinition, paths: ClusterPaths, env: NodeJS.ProcessEnv) {
  const engines = [...new Set(instances(definition).map((i) => i.engine))].filter(
    (e) => e !== 'service',
  ) as EngineId[];
  const missing = engines.map((e) => checkEngine(e, enginesDir(env))).filter((c) => !c.installed);
  if (missing.length > 0) {
    throw new FlixError(
      `engines not installed: ${missing.map((m) => `${m.engine} (${m.missing.join(', ')})`).join('; ')}`,
      {
        code: 'engineMissing',
        nextStep: '`flix setup --yes` installs them; `flix doctor` shows what is present',
      },
    );
  }
  if (!engines.includes('elasticsearch')) return;
  const runAs = engineRunAs();
  if (runAs === 'missing') {
    throw new FlixError(
      'Elasticsearch refuses to run as root and the unprivileged user `flix` does not exist',
      {
        code: 'engineMissing',
        nextStep: '`flix setup --yes` creates it',
      },
    );
  }
  if (runAs !== null) {
    const blocked = await firstBlockedOnWayTo(paths.root);
    if (blocked) {
      throw new FlixError(`Elasticsearch runs as user \`${engineUser}\`, which cannot enter ${blocked}`, {
        code: 'engineMissing',
        nextStep: '`flix setup --yes` grants it passage (an ACL entry for that user only)',
      });
    }
  }
}

/**
 * Ports, the component plan and the cluster's secrets, written for the supervisor. The plan is
 * made before anything is written, so a definition the planner refuses leaves no trace; the
 * secrets before any component starts, so edges and services only ever read them.
 */
async function writePlan(
  opts: UpOptions,
  definition: ClusterDefinition,
  paths: ClusterPaths,
  env: NodeJS.ProcessEnv,
): Promise<ComponentPlan[]> {
  const previous = (await readJson<PortAssignment>(paths.ports)) ?? undefined;
  const ports = await assignPorts(portRequests(definition), loopbackPorts, {
    previous,
    ...autoRangeFor(opts.name),
  });
  const components = planCluster(definition, ports, paths);
  await writeJsonAtomic(paths.ports, ports);
  const plan: SupervisorPlan = {
    name: opts.name,
    clusterFile: opts.clusterFile,
    restart: definition.restart,
    timeouts: definition.timeouts,
    components,
  };
  await writeJsonAtomic(paths.plan, plan);
  await clusterSecrets(opts.name, env);
  await rm(paths.state, { force: true });
  return components;
}

/** The detached supervisor: its own session and process group, logging to the cluster's log dir. */
function startSupervisor(name: string, paths: ClusterPaths, env: NodeJS.ProcessEnv) {
  mkdirSync(paths.logs, { recursive: true });
  const logFd = openSync(paths.supervisorLog, 'a');
  const child = spawn(process.execPath, [flixBin, 'supervise', '--name', name], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...env, FLIX_SUPERVISOR: '1' },
  });
  child.unref();
  const pid = child.pid as number;
  return { pid, startTime: processStartTime(pid) };
}

/**
 * Follows the supervisor's state until every component is healthy; a failed start (the
 * supervisor has stopped what it started) becomes an error naming the component with its last
 * log lines. Aborting stops the supervisor.
 */
async function followStart(
  opts: UpOptions,
  definition: ClusterDefinition,
  components: ComponentPlan[],
  paths: ClusterPaths,
  supervisor: { pid: number; startTime: number | null },
): Promise<ClusterState> {
  const onAbort = () => {
    try {
      process.kill(supervisor.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const waves = startWaves(components).length;
  const deadline = Date.now() + (definition.timeouts.startSeconds * waves + 30) * 1000;
  let lastJson = '';
  try {
    while (Date.now() < deadline) {
      const state = await readState(paths.state);
      if (state) {
        const json = JSON.stringify(state);
        if (json !== lastJson) {
          lastJson = json;
          opts.onProgress?.(state);
        }
        if (state.phase === 'running') return state;
        if (state.phase === 'failed' || state.phase === 'stopped') {
          await waitForExit(
            supervisor.pid,
            supervisor.startTime,
            (definition.timeouts.stopSeconds + 10) * 1000,
          );
          if (opts.signal?.aborted) throw aborted(opts.name);
          throw startFailure(opts.name, state);
        }
      }
      if (!isOurProcessAlive(supervisor.pid, supervisor.startTime)) {
        const again = await readState(paths.state);
        if (again?.phase === 'running') return again;
        if (again?.phase === 'failed') continue; // reported above on the next turn
        throw new FlixError(`the supervisor of '${opts.name}' exited unexpectedly`, {
          code: 'componentFailed',
          details: tailFile(paths.supervisorLog, 20).join('\n'),
          nextStep: `read ${paths.supervisorLog}; \`flix down --name ${opts.name}\` cleans up anything left`,
        });
      }
      await sleep(200);
    }
    onAbort();
    throw new FlixError(`cluster '${opts.name}' did not become healthy in time`, {
      code: 'timeout',
      nextStep: `\`flix status --name ${opts.name}\` shows which component is still starting; its log is in ${paths.logs}`,
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function startFailure(name: string, state: ClusterState): FlixError {
  const f = state.failure;
  return new FlixError(
    f ? `${f.component} failed to start: ${f.message}` : `cluster '${name}' stopped while starting`,
    {
      code: 'componentFailed',
      details: f
        ? `last lines of ${f.logFile}:\n${f.logTail.map((l) => `  ${l}`).join('\n')}\nEverything already started has been stopped.`
        : undefined,
      nextStep: f ? `read ${f.logFile}, fix the cause, then \`flix up\` again` : undefined,
    },
  );
}

function aborted(name: string): FlixError {
  return new FlixError(`start of '${name}' interrupted; everything already started has been stopped`, {
    code: 'componentFailed',
  });
}

async function waitForExit(pid: number, startTime: number | null, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (isOurProcessAlive(pid, startTime) && Date.now() < deadline) await sleep(100);
}
