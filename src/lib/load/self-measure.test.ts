import { describe, expect, it } from 'vitest';
import {
  type CpuUsage,
  cpuCores,
  distortionWarnings,
  type GeneratorHealth,
  type LoopDelayMonitor,
  SelfMeasure,
  summarizeHealth,
} from './self-measure.js';

/** A loop monitor fed by the test: readings in ms, kept as ns like perf_hooks does. */
class FakeMonitor implements LoopDelayMonitor {
  readings: number[] = [];
  enabled = false;
  get count() {
    return this.readings.length;
  }
  get max() {
    return Math.max(...this.readings) * 1e6;
  }
  get mean() {
    return (this.readings.reduce((a, b) => a + b, 0) / this.readings.length) * 1e6;
  }
  percentile(p: number) {
    const s = [...this.readings].sort((a, b) => a - b);
    return (s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] as number) * 1e6;
  }
  enable() {
    this.enabled = true;
    return true;
  }
  disable() {
    this.enabled = false;
    return true;
  }
  reset() {
    this.readings = [];
  }
}

function rig() {
  let now = 1000;
  let cpu: CpuUsage = { user: 0, system: 0 };
  const monitors: FakeMonitor[] = [];
  const m = new SelfMeasure({
    now: () => now,
    cpuUsage: () => cpu,
    loopMonitor: () => {
      const f = new FakeMonitor();
      monitors.push(f);
      return f;
    },
    resolutionMs: 10,
  });
  return {
    m,
    monitors,
    /** `ms` of wall time pass, with `cores` busy and loop readings (timer period included) */
    pass(ms: number, cores: number, readingsMs: number[] = []) {
      now += ms;
      const us = cores * ms * 1000;
      cpu = { user: cpu.user + us * 0.75, system: cpu.system + us * 0.25 };
      for (const f of monitors) f.readings.push(...readingsMs);
    },
  };
}

describe('cpuCores', () => {
  it('is CPU time over wall time', () => {
    expect(cpuCores({ user: 0, system: 0 }, { user: 500_000, system: 250_000 }, 1000)).toBe(0.75);
    expect(cpuCores({ user: 0, system: 0 }, { user: 4_000_000, system: 0 }, 2000)).toBe(2);
    expect(cpuCores({ user: 0, system: 0 }, { user: 1, system: 0 }, 0)).toBe(0);
  });
});

describe('SelfMeasure', () => {
  it('samples CPU and loop lag per interval (the timer period taken off)', () => {
    const { m, pass, monitors } = rig();
    expect(monitors).toHaveLength(2);
    expect(monitors.every((f) => f.enabled)).toBe(true);
    pass(1000, 0.5, [10, 11, 12]);
    expect(m.sample()).toEqual({
      atMs: 1000,
      intervalMs: 1000,
      cpuCores: 0.5,
      loopLagP99Ms: 2,
      loopLagMaxMs: 2,
    });
    pass(1000, 1, [10, 90]);
    expect(m.sample()).toEqual({
      atMs: 2000,
      intervalMs: 1000,
      cpuCores: 1,
      loopLagP99Ms: 80,
      loopLagMaxMs: 80,
    });
    // no readings in an interval: no lag
    pass(500, 0.2);
    expect(m.sample()).toMatchObject({ intervalMs: 500, cpuCores: 0.2, loopLagP99Ms: 0 });
  });

  it('sums up the run when stopped, once', () => {
    const { m, pass, monitors } = rig();
    for (let i = 0; i < 9; i++) {
      pass(1000, 0.4, [10, 10]);
      m.sample();
    }
    pass(1000, 1.4, [70]);
    const h = m.stop();
    expect(h.samples).toHaveLength(10);
    expect(h.durationMs).toBe(10_000);
    expect(h.cpuCoresMean).toBeCloseTo(0.5, 9);
    expect(h.cpuCoresMax).toBe(1.4);
    expect(h.cpuCoresP90).toBe(0.4);
    expect(h.loopLagMaxMs).toBe(60);
    expect(h.loopLagP99Ms).toBe(60);
    expect(h.loopLagMeanMs).toBeCloseTo(60 / 19, 3);
    expect(monitors.every((f) => !f.enabled)).toBe(true);
    expect(m.stop()).toBe(h);
  });

  it('works on the real perf_hooks and process counters', () => {
    const m = new SelfMeasure();
    const s = m.sample();
    expect(s.cpuCores).toBeGreaterThanOrEqual(0);
    expect(s.loopLagP99Ms).toBeGreaterThanOrEqual(0);
    const h = m.stop();
    expect(h.samples.length).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(h.loopLagMeanMs)).toBe(true);
  });
});

function health(over: Partial<GeneratorHealth>): GeneratorHealth {
  return { ...summarizeHealth([], { mean: 1, p99: 5, max: 8 }, 0.3, 60_000), ...over };
}

describe('distortionWarnings', () => {
  it('says nothing when the generator kept up', () => {
    expect(distortionWarnings(health({}))).toEqual([]);
    expect(distortionWarnings(health({ cpuCoresMean: 0.9, cpuCoresP90: 0.9, loopLagP99Ms: 50 }))).toEqual([]);
  });

  it('warns when CPU is over 0.9 core, over the run or in a tenth of it', () => {
    const [w] = distortionWarnings(health({ cpuCoresMean: 0.97, cpuCoresP90: 1 }));
    expect(w).toMatch(
      /^the load generator used 0.97 cores over the run \(limit 0.9\): it may be the bottleneck/,
    );
    const [burst] = distortionWarnings(health({ cpuCoresMean: 0.5, cpuCoresP90: 0.95 }));
    expect(burst).toMatch(/0.95 cores in a tenth of the run/);
    // one busy second out of many is not enough
    expect(distortionWarnings(health({ cpuCoresMean: 0.5, cpuCoresP90: 0.6, cpuCoresMax: 1 }))).toEqual([]);
  });

  it('warns when loop lag p99 is over 50 ms', () => {
    const ws = distortionWarnings(health({ loopLagP99Ms: 120, loopLagMaxMs: 400 }));
    expect(ws).toHaveLength(1);
    expect(ws[0]).toMatch(/event loop lagged 120 ms at p99 \(max 400 ms, limit 50 ms\)/);
  });

  it('takes other limits and a generator name', () => {
    const ws = distortionWarnings(
      health({ cpuCoresMean: 0.6, loopLagP99Ms: 30 }),
      { cpuCores: 0.5, loopLagP99Ms: 20 },
      'generator g2',
    );
    expect(ws).toHaveLength(2);
    expect(ws.every((w) => w.startsWith('generator g2'))).toBe(true);
  });
});

describe('summarizeHealth', () => {
  it('takes the p90 of the intervals', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({
      atMs: (i + 1) * 1000,
      intervalMs: 1000,
      cpuCores: i / 10,
      loopLagP99Ms: 0,
      loopLagMaxMs: 0,
    }));
    const h = summarizeHealth(samples, { mean: 0, p99: 0, max: 0 }, 1, 20_000);
    expect(h.cpuCoresP90).toBe(1.7);
    expect(h.cpuCoresMax).toBe(1.9);
    expect(summarizeHealth([], { mean: 0, p99: 0, max: 0 }, 0, 0)).toMatchObject({
      cpuCoresP90: 0,
      cpuCoresMax: 0,
    });
  });
});
