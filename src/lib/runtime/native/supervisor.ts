import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { ComponentPlan, ComponentStatus } from '../../cluster/components.js';
import { startWaves, stopWaves } from '../../cluster/order.js';
import { type ClusterState, readJson, writeJsonAtomic } from '../../cluster/state.js';
import type { SupervisorPlan } from '../../cluster/supervisor-plan.js';
import { FlixError } from '../../core/errors.js';
import { type ClusterPaths, clusterPaths, enginesDir } from '../../core/paths.js';
import type { EngineContext } from '../../engines/driver.js';
import { driverFor } from '../../engines/drivers.js';
import { engineRunAs } from '../../engines/engine-user.js';
import { scrapeTargets, targetsFile } from '../../engines/prometheus/targets.js';
import { processStartTime, type Spawned, signalGroup, spawnToLog, stopGroup, tailFile } from './processes.js';
import { restartsInWindow, shouldRestart } from './restart-policy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class StartAborted extends Error {}

interface Running {
  plan: ComponentPlan;
  spawned: Spawned | null;
  /** set while the supervisor itself stops this component, so its exit is not a crash */
  stopping: boolean;
  /** when it was restarted (ms since epoch), for the restart budget's window */
  restartTimes: number[];
}

/**
 * Owns one running cluster: starts components in dependency order (each as soon as what it
 * depends on is healthy, so the JVM engines start side by side), waits for each to answer its
 * real client, restarts by policy, and stops everything in reverse order on SIGTERM. Every
 * change is written to state.json for `flix status`.
 */
export class Supervisor {
  private readonly running = new Map<string, Running>();
  private readonly status = new Map<string, ComponentStatus>();
  private readonly state: ClusterState;
  private readonly abort = new AbortController();
  private stopping: Promise<void> | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  /** the scrape targets last written for Prometheus (to write only what changed) */
  private targetsWritten = '';

  constructor(
    private readonly plan: SupervisorPlan,
    private readonly paths: ClusterPaths,
    private readonly ctx: EngineContext,
  ) {
    for (const c of plan.components) {
      this.running.set(c.name, { plan: c, spawned: null, stopping: false, restartTimes: [] });
      this.status.set(c.name, {
        name: c.name,
        role: c.role,
        engine: c.engine,
        zone: c.zone,
        state: 'pending',
        pid: null,
        pidStartTime: null,
        endpoint: c.endpoint,
        ports: c.ports,
        healthySince: null,
        startedAt: null,
        restarts: 0,
        lastExit: null,
        logFile: c.logFile,
      });
    }
    this.state = {
      name: plan.name,
      clusterFile: plan.clusterFile,
      runtime: 'native',
      phase: 'starting',
      supervisor: {
        pid: process.pid,
        pidStartTime: processStartTime(process.pid),
        logFile: paths.supervisorLog,
      },
      startedAt: Date.now(),
      runningAt: null,
      stoppedAt: null,
      components: [],
      failure: null,
    };
  }

  /** Start the cluster and supervise it until SIGTERM/SIGINT; resolves with the exit code. */
  async run(): Promise<number> {
    await mkdir(this.paths.logs, { recursive: true });
    await writeFile(this.paths.supervisorPid, String(process.pid));
    let stopRequested: () => void = () => {};
    const stopSignal = new Promise<void>((resolve) => {
      stopRequested = resolve;
    });
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.on(sig, () => {
        log(`received ${sig}`);
        stopRequested();
      });
    }
    await this.save();

    const started = this.startAll().then(
      () => 'started' as const,
      (e: unknown) => e,
    );
    const first = await Promise.race([started, stopSignal.then(() => 'stop' as const)]);
    if (first === 'stop') {
      this.abort.abort();
      await this.stopAll('stopped');
      return 0;
    }
    if (first !== 'started') {
      const e = first as Error;
      log(`start failed: ${e.message}`);
      this.abort.abort();
      await this.stopAll('failed');
      return 1;
    }
    this.state.phase = 'running';
    this.state.runningAt = Date.now();
    await this.save();
    log(`cluster ${this.plan.name} is running (${this.plan.components.length} components)`);
    await stopSignal;
    await this.stopAll('stopped');
    return 0;
  }

  private async startAll(): Promise<void> {
    startWaves(this.plan.components); // validates the graph before anything starts
    const healthy = new Map<string, Promise<void>>();
    const startOne = async (c: ComponentPlan): Promise<void> => {
      await Promise.all(c.dependsOn.map((d) => healthy.get(d)));
      await this.startComponent(c);
    };
    // Insert in dependency order so every dependency's promise exists before its dependents'.
    for (const wave of startWaves(this.plan.components)) {
      for (const name of wave) {
        const c = this.running.get(name)?.plan as ComponentPlan;
        const p = startOne(c);
        p.catch(() => {});
        healthy.set(name, p);
      }
    }
    const results = await Promise.allSettled([...healthy.values()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Prepare, spawn and wait for health; on failure record which component and why. */
  private async startComponent(c: ComponentPlan): Promise<void> {
    try {
      await this.update(c.name, { state: 'starting', message: 'preparing' });
      await driverFor(c.engine).prepare(c, this.ctx);
      if (this.abort.signal.aborted) throw new StartAborted(`start of ${c.name} aborted`);
      await this.spawnAndWait(c);
    } catch (e) {
      if (e instanceof StartAborted || this.abort.signal.aborted) throw e;
      const message = (e as Error).message;
      await this.update(c.name, { state: 'failed', message });
      if (!this.state.failure) {
        this.state.failure = {
          component: c.name,
          message,
          logFile: c.logFile,
          logTail: tailFile(c.logFile, 25),
        };
        await this.save();
      }
      this.abort.abort();
      throw e;
    }
  }

  private async spawnAndWait(c: ComponentPlan): Promise<void> {
    const r = this.running.get(c.name) as Running;
    const spec = driverFor(c.engine).launch(c, this.ctx);
    await mkdir(c.dataDir, { recursive: true });
    const stamp = `\n===== flix: starting ${c.name} at ${new Date().toISOString()}: ${spec.file} ${spec.args.join(' ')}\n`;
    await writeFile(c.logFile, stamp, { flag: 'a' });
    const spawned = spawnToLog(spec, c.logFile);
    if (spawned.pid <= 0) throw new Error(`could not start ${spec.file}`);
    r.spawned = spawned;
    r.stopping = false;
    await this.update(c.name, {
      state: 'starting',
      pid: spawned.pid,
      pidStartTime: spawned.pidStartTime,
      startedAt: Date.now(),
      healthySince: null,
      message: 'waiting for health',
    });
    void spawned.exited.then((exit) => this.onExit(c, spawned, exit));
    await this.waitHealthy(c, spawned);
    await this.update(c.name, { state: 'healthy', healthySince: Date.now(), message: undefined });
    log(`${c.name} healthy (pid ${spawned.pid})`);
  }

  private async waitHealthy(c: ComponentPlan, spawned: Spawned): Promise<void> {
    const driver = driverFor(c.engine);
    const deadline = Date.now() + this.plan.timeouts.startSeconds * 1000;
    let exited: { code: number | null; signal: string | null } | null = null;
    void spawned.exited.then((x) => {
      exited = x;
    });
    let lastError = 'no answer yet';
    let delay = 250;
    while (Date.now() < deadline) {
      if (this.abort.signal.aborted) throw new StartAborted(`start of ${c.name} aborted`);
      if (exited) {
        const x = exited as { code: number | null; signal: string | null };
        throw new Error(
          `${c.name} exited during start (${x.signal ? `signal ${x.signal}` : `code ${x.code}`})`,
        );
      }
      try {
        await withTimeout(driver.probe(c, this.ctx), 10_000);
        return;
      } catch (e) {
        lastError = (e as Error).message || String(e);
      }
      await sleep(delay);
      delay = Math.min(delay * 1.5, 1000);
    }
    throw new Error(
      `${c.name} did not become healthy within ${this.plan.timeouts.startSeconds}s (last probe: ${lastError})`,
    );
  }

  private async onExit(
    c: ComponentPlan,
    spawned: Spawned,
    exit: { code: number | null; signal: NodeJS.Signals | null },
  ): Promise<void> {
    const r = this.running.get(c.name) as Running;
    if (r.spawned !== spawned) return; // an older process of this component
    const lastExit = { code: exit.code, signal: exit.signal, at: Date.now() };
    if (r.stopping || this.stopping) {
      await this.update(c.name, { lastExit });
      return;
    }
    const st = this.status.get(c.name) as ComponentStatus;
    log(`${c.name} (pid ${spawned.pid}) exited: ${exit.signal ?? `code ${exit.code}`}`);
    // the launcher is gone; make sure nothing of its group (a forked JVM, nginx workers) lingers
    signalGroup(spawned.pid, 'SIGKILL');
    if (this.state.phase !== 'running') {
      await this.update(c.name, { lastExit, pid: null });
      return; // during start, waitHealthy reports the exit
    }
    const budget = this.plan.restart;
    const now = Date.now();
    if (!shouldRestart(budget, exit, r.restartTimes, now)) {
      const used = restartsInWindow(budget, r.restartTimes, now);
      await this.update(c.name, {
        state: 'failed',
        lastExit,
        pid: null,
        healthySince: null,
        message: `exited (${exit.signal ?? `code ${exit.code}`}); not restarted (policy ${budget.policy}, ${used}/${budget.maxRestarts} restarts in ${budget.windowSeconds} s)`,
      });
      return;
    }
    r.restartTimes.push(now);
    await this.update(c.name, {
      state: 'restarting',
      lastExit,
      pid: null,
      healthySince: null,
      restarts: st.restarts + 1,
      message: `restart ${restartsInWindow(budget, r.restartTimes, now)} of ${budget.maxRestarts} in ${budget.windowSeconds} s`,
    });
    await sleep(this.plan.restart.backoffMs);
    if (this.stopping) return;
    try {
      await this.spawnAndWait(c);
    } catch (e) {
      log(`restart of ${c.name} failed: ${(e as Error).message}`);
      const now = this.status.get(c.name) as ComponentStatus;
      if (now.state !== 'restarting' && now.state !== 'failed' && !this.stopping) {
        // it runs but never became healthy: stop it rather than leave a half-started process
        const r = this.running.get(c.name) as Running;
        if (r.spawned) {
          r.stopping = true;
          await stopGroup(r.spawned.pid, r.spawned.pidStartTime, this.plan.timeouts.stopSeconds * 1000);
        }
        await this.update(c.name, {
          state: 'failed',
          pid: null,
          message: `restart failed: ${(e as Error).message}`,
        });
      }
    }
  }

  /** Reverse dependency order; each component gets SIGTERM, then SIGKILL after stopSeconds. */
  private stopAll(finalPhase: 'stopped' | 'failed'): Promise<void> {
    this.stopping ??= (async () => {
      this.state.phase = finalPhase === 'failed' ? 'failed' : 'stopping';
      await this.save();
      for (const wave of stopWaves(this.plan.components)) {
        await Promise.all(
          wave.map(async (name) => {
            const r = this.running.get(name) as Running;
            if (!r.spawned) return;
            r.stopping = true;
            const st = this.status.get(name) as ComponentStatus;
            if (st.state !== 'failed') await this.update(name, { state: 'stopping' });
            const how = await stopGroup(
              r.spawned.pid,
              r.spawned.pidStartTime,
              this.plan.timeouts.stopSeconds * 1000,
            );
            log(`${name} stopped (${how})`);
            await this.update(name, {
              state: st.state === 'failed' ? 'failed' : 'stopped',
              pid: null,
              healthySince: null,
            });
          }),
        );
      }
      this.state.phase = finalPhase;
      this.state.stoppedAt = Date.now();
      await this.save();
      await rm(this.paths.supervisorPid, { force: true });
    })();
    return this.stopping;
  }

  private async update(name: string, patch: Partial<ComponentStatus>): Promise<void> {
    const st = this.status.get(name) as ComponentStatus;
    Object.assign(st, patch);
    if ('message' in patch && patch.message === undefined) delete st.message;
    await this.save();
  }

  private save(): Promise<void> {
    this.state.components = this.plan.components.map((c) => ({
      ...(this.status.get(c.name) as ComponentStatus),
    }));
    const snapshot = JSON.parse(JSON.stringify(this.state)) as ClusterState;
    this.writeChain = this.writeChain
      .then(() => writeJsonAtomic(this.paths.state, snapshot))
      .then(() => this.writeTargets())
      .catch(() => {});
    return this.writeChain;
  }

  /** Prometheus's file-based discovery: the components meant to be running that serve metrics. */
  private async writeTargets(): Promise<void> {
    const prometheus = this.plan.components.find((c) => c.engine === 'prometheus');
    if (!prometheus) return;
    const plans = new Map(this.plan.components.map((c) => [c.name, c]));
    const groups = scrapeTargets(
      this.state.components,
      (c) => driverFor(c.engine).metricsPath,
      (c) => String(plans.get(c.name)?.settings.service ?? c.engine),
      this.plan.components.find((c) => c.settings.service === 'log-agent')?.name,
    );
    const text = JSON.stringify(groups);
    if (text === this.targetsWritten) return;
    await mkdir(prometheus.confDir, { recursive: true });
    await writeJsonAtomic(targetsFile(prometheus.confDir), groups);
    this.targetsWritten = text;
  }
}

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`probe timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `flix supervise` (started by `flix up`): run the supervisor of a cluster until it is stopped. */
export async function runSupervisor(name: string): Promise<number> {
  const paths = clusterPaths(name);
  const plan = await readJson<SupervisorPlan>(paths.plan);
  if (!plan)
    throw new FlixError(`no plan for cluster '${name}'`, {
      code: 'notRunning',
      nextStep: 'use `flix up`',
    });
  const runAs = engineRunAs();
  const supervisor = new Supervisor(plan, paths, {
    clusterName: plan.name,
    enginesDir: enginesDir(),
    runAs: runAs === 'missing' ? null : runAs,
  });
  return supervisor.run();
}
