import { rm } from 'node:fs/promises';
import type { ComponentStatus } from '../../cluster/components.js';
import { stopWaves } from '../../cluster/order.js';
import { type ClusterState, readState, writeJsonAtomic } from '../../cluster/state.js';
import { FlixError } from '../../core/errors.js';
import { clusterPaths } from '../../core/paths.js';
import { clusterLiveness } from './liveness.js';
import { isOurProcessAlive, stopGroup } from './processes.js';

export interface DownOptions {
  name: string;
  purge?: boolean;
  env?: NodeJS.ProcessEnv;
  /** how long to wait for the supervisor's graceful stop before stopping components directly */
  timeoutMs?: number;
  onProgress?: (state: ClusterState) => void;
}

export interface DownResult {
  name: string;
  /** components that had to be stopped without their supervisor (it had died) */
  orphansStopped: string[];
  purged: boolean;
  seconds: number;
  components: Array<Pick<ComponentStatus, 'name' | 'state'>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `flix down`: ask the supervisor to stop everything (graceful, then forceful); if it is gone or
 * does not finish in time, stop each recorded component's process group directly.
 */
export async function down(opts: DownOptions): Promise<DownResult> {
  const env = opts.env ?? process.env;
  const paths = clusterPaths(opts.name, env);
  const t0 = Date.now();
  const live = await clusterLiveness(opts.name, env);
  if (!live.state || (!live.supervisorAlive && live.liveComponents.length === 0)) {
    if (opts.purge && live.state !== null) {
      await rm(paths.root, { recursive: true, force: true });
      return { name: opts.name, orphansStopped: [], purged: true, seconds: 0, components: [] };
    }
    throw new FlixError(`cluster '${opts.name}' is not running`, {
      code: 'notRunning',
      nextStep: opts.purge
        ? `nothing to purge for '${opts.name}'`
        : `\`flix up --name ${opts.name}\` starts it; \`flix down --name ${opts.name} --purge\` deletes a stopped cluster's data`,
    });
  }

  const state = live.state;
  const graceMs = opts.timeoutMs ?? 120_000;
  if (live.supervisorAlive) {
    try {
      process.kill(state.supervisor.pid, 'SIGTERM');
    } catch {
      // exited meanwhile
    }
    const deadline = Date.now() + graceMs;
    let last = '';
    while (Date.now() < deadline && isOurProcessAlive(state.supervisor.pid, state.supervisor.pidStartTime)) {
      const s = await readState(paths.state);
      if (s) {
        const json = JSON.stringify(s.components.map((c) => c.state));
        if (json !== last) {
          last = json;
          opts.onProgress?.(s);
        }
      }
      await sleep(150);
    }
    if (isOurProcessAlive(state.supervisor.pid, state.supervisor.pidStartTime)) {
      await stopGroup(state.supervisor.pid, state.supervisor.pidStartTime, 1000);
    }
  }

  // Whatever still runs (the supervisor died, or did not finish): stop it here, dependents first.
  const after = (await readState(paths.state)) ?? state;
  opts.onProgress?.(after);
  const orphansStopped: string[] = [];
  const byName = new Map(after.components.map((c) => [c.name, c]));
  for (const wave of stopWaves(after.components.map((c) => ({ name: c.name, dependsOn: [] })))) {
    await Promise.all(
      wave.map(async (name) => {
        const c = byName.get(name) as ComponentStatus;
        if (!isOurProcessAlive(c.pid, c.pidStartTime)) return;
        await stopGroup(c.pid as number, c.pidStartTime, 10_000);
        orphansStopped.push(name);
      }),
    );
  }
  const final: ClusterState = {
    ...after,
    phase: 'stopped',
    stoppedAt: after.stoppedAt ?? Date.now(),
    components: after.components.map((c) => ({
      ...c,
      state: c.state === 'failed' ? 'failed' : 'stopped',
      pid: null,
      healthySince: null,
    })),
  };
  await rm(paths.supervisorPid, { force: true });
  if (opts.purge) {
    await rm(paths.root, { recursive: true, force: true });
  } else {
    await writeJsonAtomic(paths.state, final);
  }
  return {
    name: opts.name,
    orphansStopped,
    purged: Boolean(opts.purge),
    seconds: (Date.now() - t0) / 1000,
    components: final.components.map((c) => ({ name: c.name, state: c.state })),
  };
}
