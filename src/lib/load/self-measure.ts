/**
 * The load generator measuring itself. Hundreds of virtual viewers in one Node process share one
 * event loop and about one core: once that is saturated, timers fire late and responses wait to be
 * read, so latencies grow on the generator's side and the report blames the cluster for them.
 * Sampling the process's CPU (process.cpuUsage) and event-loop lag (perf_hooks
 * monitorEventLoopDelay) lets the report say when its own numbers are not to be trusted.
 *
 * The side effects (the clock, the CPU counters, the loop monitor) are passed in; the summary and
 * the warnings are pure.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** process.cpuUsage(): µs of user and system CPU since the process started. */
export interface CpuUsage {
  user: number;
  system: number;
}

/** What we use of perf_hooks' IntervalHistogram (values in ns). */
export interface LoopDelayMonitor {
  readonly count: number;
  readonly max: number;
  readonly mean: number;
  percentile(p: number): number;
  enable(): boolean;
  disable(): boolean;
  reset(): void;
}

export interface SelfMeasureDeps {
  now?: () => number;
  cpuUsage?: () => CpuUsage;
  /** Makes a loop monitor sampling every `resolutionMs`. */
  loopMonitor?: (resolutionMs: number) => LoopDelayMonitor;
  /** The monitor's timer period, ms (it is part of every reading and taken off). Default 10. */
  resolutionMs?: number;
}

/** One interval between two samples. */
export interface SelfSample {
  /** ms since the measurement started, at the end of the interval */
  atMs: number;
  intervalMs: number;
  /** CPU time over wall time: 1 is one core busy all the interval */
  cpuCores: number;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
}

/** The generator's health over a run. */
export interface GeneratorHealth {
  durationMs: number;
  /** CPU over the whole run, in cores */
  cpuCoresMean: number;
  /** the 90th percentile and the maximum of the intervals' CPU */
  cpuCoresP90: number;
  cpuCoresMax: number;
  /** event-loop lag over the whole run, ms */
  loopLagMeanMs: number;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  samples: SelfSample[];
}

/** Cores busy between two cpuUsage readings `elapsedMs` apart. */
export function cpuCores(before: CpuUsage, after: CpuUsage, elapsedMs: number): number {
  if (!(elapsedMs > 0)) return 0;
  const usedUs = after.user - before.user + (after.system - before.system);
  return Math.max(0, usedUs / 1000 / elapsedMs);
}

/** The lag readings of a monitor, ms: each reading less the timer period (what the loop added). */
function lagOf(m: LoopDelayMonitor, resolutionMs: number): { mean: number; p99: number; max: number } {
  if (m.count === 0) return { mean: 0, p99: 0, max: 0 };
  const ms = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
  return { mean: ms(m.mean), p99: ms(m.percentile(99)), max: ms(m.max) };
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Measures from construction: call `sample()` now and then (every second, say) for a timeline,
 * and `stop()` once at the end for the run's figures.
 */
export class SelfMeasure {
  private readonly now: () => number;
  private readonly cpuUsage: () => CpuUsage;
  private readonly resolutionMs: number;
  /** the whole run, never reset */
  private readonly run: LoopDelayMonitor;
  /** the current interval, reset at every sample */
  private readonly interval: LoopDelayMonitor;
  private readonly startMs: number;
  private readonly startCpu: CpuUsage;
  private lastMs: number;
  private lastCpu: CpuUsage;
  private readonly samples: SelfSample[] = [];
  private stopped: GeneratorHealth | undefined;

  constructor(deps: SelfMeasureDeps = {}) {
    this.now = deps.now ?? (() => performance.now());
    this.cpuUsage = deps.cpuUsage ?? (() => process.cpuUsage());
    this.resolutionMs = deps.resolutionMs ?? 10;
    const make = deps.loopMonitor ?? ((resolution: number) => monitorEventLoopDelay({ resolution }));
    this.run = make(this.resolutionMs);
    this.interval = make(this.resolutionMs);
    this.run.enable();
    this.interval.enable();
    this.startMs = this.lastMs = this.now();
    this.startCpu = this.lastCpu = this.cpuUsage();
  }

  /** Closes the current interval and returns its figures. */
  sample(): SelfSample {
    const at = this.now();
    const cpu = this.cpuUsage();
    const lag = lagOf(this.interval, this.resolutionMs);
    this.interval.reset();
    const s: SelfSample = {
      atMs: round(at - this.startMs),
      intervalMs: round(at - this.lastMs),
      cpuCores: round(cpuCores(this.lastCpu, cpu, at - this.lastMs)),
      loopLagP99Ms: round(lag.p99),
      loopLagMaxMs: round(lag.max),
    };
    this.samples.push(s);
    this.lastMs = at;
    this.lastCpu = cpu;
    return s;
  }

  /** Stops the monitors (once) and returns the run's health. */
  stop(): GeneratorHealth {
    if (this.stopped) return this.stopped;
    if (this.now() > this.lastMs || this.samples.length === 0) this.sample();
    const at = this.now();
    const lag = lagOf(this.run, this.resolutionMs);
    this.run.disable();
    this.interval.disable();
    this.stopped = summarizeHealth(
      this.samples,
      { mean: lag.mean, p99: lag.p99, max: lag.max },
      cpuCores(this.startCpu, this.cpuUsage(), at - this.startMs),
      at - this.startMs,
    );
    return this.stopped;
  }
}

/** The run's health from its samples and the whole-run lag and CPU figures. */
export function summarizeHealth(
  samples: readonly SelfSample[],
  lag: { mean: number; p99: number; max: number },
  cpuCoresMean: number,
  durationMs: number,
): GeneratorHealth {
  const cpu = samples.map((s) => s.cpuCores).sort((a, b) => a - b);
  const p90 =
    cpu.length === 0 ? 0 : (cpu[Math.min(cpu.length - 1, Math.ceil(0.9 * cpu.length) - 1)] as number);
  return {
    durationMs: round(durationMs),
    cpuCoresMean: round(cpuCoresMean),
    cpuCoresP90: round(p90),
    cpuCoresMax: round(cpu.at(-1) ?? 0),
    loopLagMeanMs: round(lag.mean),
    loopLagP99Ms: round(lag.p99),
    loopLagMaxMs: round(lag.max),
    samples: [...samples],
  };
}

/** Where the generator becomes the bottleneck. */
export interface DistortionLimits {
  /** CPU in cores, over the run or in a tenth of its intervals. Default 0.9 (one core is all a loop gets). */
  cpuCores: number;
  /** Event-loop lag p99 over the run, ms. Default 50. */
  loopLagP99Ms: number;
}

export const defaultDistortionLimits: DistortionLimits = { cpuCores: 0.9, loopLagP99Ms: 50 };

/**
 * What the report should say about the generator itself: empty when it kept up. CPU counts
 * when the whole run, or at least a tenth of its sampled intervals (p90), went over the limit.
 */
export function distortionWarnings(
  h: GeneratorHealth,
  limits: DistortionLimits = defaultDistortionLimits,
  name = 'the load generator',
): string[] {
  const out: string[] = [];
  const cpu = Math.max(h.cpuCoresMean, h.cpuCoresP90);
  if (cpu > limits.cpuCores) {
    const where =
      h.cpuCoresMean > limits.cpuCores
        ? `${h.cpuCoresMean} cores over the run`
        : `${h.cpuCoresP90} cores in a tenth of the run`;
    out.push(
      `${name} used ${where} (limit ${limits.cpuCores}): it may be the bottleneck, and its latencies include its own queueing; run fewer viewers per generator or more generators`,
    );
  }
  if (h.loopLagP99Ms > limits.loopLagP99Ms) {
    out.push(
      `${name}'s event loop lagged ${h.loopLagP99Ms} ms at p99 (max ${h.loopLagMaxMs} ms, limit ${limits.loopLagP99Ms} ms): timers and reads ran late, so measured latencies are inflated`,
    );
  }
  return out;
}
