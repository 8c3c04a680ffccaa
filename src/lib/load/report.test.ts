import { describe, expect, it } from 'vitest';
import { ExitCode } from '../core/errors.js';
import { parseChaos } from './chaos-steps.js';
import { MetricsRegistry } from './metrics.js';
import { recordQoe, viewerQoe } from './qoe.js';
import {
  buildReport,
  formatMs,
  formatNumber,
  formatPercent,
  LoadExitCode,
  type LoadReport,
  renderReport,
  verdictOf,
} from './report.js';
import { closedModel, herd, openModel } from './schedule.js';
import { summarizeHealth } from './self-measure.js';
import { evaluateThresholds, parseThresholds, type ThresholdResult } from './thresholds.js';

function result(pass: boolean, threshold = 'p99(start_ms)<200'): ThresholdResult {
  return {
    threshold,
    metric: 'start_ms',
    tags: {},
    aggregate: 'p(99)',
    op: '<',
    target: 200,
    observed: pass ? 150 : 250,
    pass,
    abortOnFail: false,
  };
}

describe('verdictOf', () => {
  it('exits 0 when every threshold passed, 99 (as k6) when one failed', () => {
    expect(verdictOf([result(true), result(true)])).toEqual({
      passed: true,
      exitCode: 0,
      failed: [],
      abortedBy: [],
      summary: 'PASS: all 2 thresholds passed',
    });
    expect(verdictOf([])).toMatchObject({ passed: true, exitCode: 0, summary: 'PASS (no thresholds)' });
    expect(verdictOf([result(true)]).summary).toBe('PASS: the threshold passed');
    expect(verdictOf([result(true), result(false, 'failed_plays==0')])).toMatchObject({
      passed: false,
      exitCode: 99,
      failed: ['failed_plays==0'],
      summary: 'FAIL: 1 of 2 thresholds failed (exit 99)',
    });
  });

  it('fails an aborted run with 99 and says by what', () => {
    const v = verdictOf([result(false)], { abortedBy: ['p99(start_ms)<200'], abortedAtMs: 42_000 });
    expect(v).toMatchObject({ passed: false, exitCode: 99, abortedAtMs: 42_000 });
    expect(v.summary).toBe(
      'FAIL: 1 of 1 threshold failed, run aborted at 42s by p99(start_ms)<200 (exit 99)',
    );
  });

  it('uses a code no FlixError has', () => {
    expect(LoadExitCode.thresholdsFailed).toBe(99);
    expect(Object.values(ExitCode)).not.toContain(99);
  });
});

describe('formatting', () => {
  it('prints numbers, percentages and durations briefly', () => {
    expect(formatNumber(1234567)).toBe('1234567');
    expect(formatNumber(198.015)).toBe('198');
    expect(formatNumber(0.000123456)).toBe('0.0001235');
    expect(formatNumber(null)).toBe('-');
    expect(formatNumber(undefined)).toBe('-');
    expect(formatPercent(0.001)).toBe('0.1%');
    expect(formatPercent(1 / 3)).toBe('33.3%');
    expect(formatPercent(null)).toBe('-');
    expect(formatMs(250)).toBe('250ms');
    expect(formatMs(40_000)).toBe('40s');
    expect(formatMs(90_500)).toBe('1m30.5s');
  });
});

function run() {
  const registry = new MetricsRegistry();
  for (let i = 0; i < 20; i++) {
    recordQoe(
      registry,
      viewerQoe({
        outcome: 'played',
        report: {
          endReason: 'duration',
          startLatencyMs: 100 + i * 10,
          playedSeconds: 30,
          rebufferSeconds: i === 0 ? 10 : 0,
          rebufferCount: i === 0 ? 1 : 0,
          averageBitrateBps: 2_000_000,
          switches: [],
          renditions: [],
          cache: { hits: 8, answers: 10 },
          segments: [{ edge: 'edge-a', cacheStatus: 'MISS' }],
          failovers: [],
        },
      }),
      { zone: i % 2 ? 'a' : 'b' },
    );
  }
  recordQoe(registry, viewerQoe({ outcome: 'failed', error: 'HTTP 503' }));
  registry.trend('request_ms', { unit: 'ms' }).add(12, { step: 'manifest', endpoint: 'edge-a' });
  registry.gauge('viewers').set(20);
  const thresholds = parseThresholds([
    'p99(start_ms)<1000',
    'failed_plays==0',
    'avg(rebuffer_ratio)<0.01:abortOnFail',
  ]);
  return { registry, thresholds };
}

describe('buildReport', () => {
  it('evaluates the thresholds on the final metrics and gathers everything', () => {
    const { registry, thresholds } = run();
    const steps = parseChaos('kill-zone b@40s,heal@70s');
    const g = summarizeHealth([], { mean: 2, p99: 80, max: 120 }, 0.95, 120_000);
    const r = buildReport({
      cluster: 'ci',
      startedAt: new Date('2030-01-01T00:00:00Z'),
      endedAt: new Date('2030-01-01T00:02:00Z'),
      seed: 7,
      timeline: closedModel({ viewers: 20, rampMs: 10_000, durationMs: 120_000 }),
      registry,
      thresholds,
      chaos: [
        { step: steps[0] as never, ranAtMs: 40_012 },
        { step: steps[1] as never, error: 'supervisor busy' },
      ],
      generators: [{ name: 'local', ...g }],
      warnings: ['the title cache was cold'],
    });
    expect(r).toMatchObject({
      version: 1,
      tool: 'flix loadtest',
      cluster: 'ci',
      startedAt: '2030-01-01T00:00:00.000Z',
      durationMs: 120_000,
      seed: 7,
      schedule: { model: 'closed', viewers: 20, arrivals: 20, rampMs: 10_000 },
      chaos: [
        { text: 'kill-zone b@40s', ranAtMs: 40_012 },
        { text: 'heal@70s', error: 'supervisor busy' },
      ],
      qoe: { attempts: 21, started: 20, videoStartFailures: 1 },
    });
    expect(r.thresholds.map((t) => [t.threshold, t.pass])).toEqual([
      ['p99(start_ms)<1000', true],
      ['failed_plays==0', false],
      ['avg(rebuffer_ratio)<0.01:abortOnFail', false],
    ]);
    expect(r.verdict).toMatchObject({ passed: false, exitCode: 99 });
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toMatch(/^the load generator used 0.95 cores/);
    expect(r.warnings[2]).toBe('the title cache was cold');
    expect(Object.keys(r.metrics)).toContain('request_ms');
    // the JSON shape survives a round trip unchanged (no NaN, no Infinity, no class instances)
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('agrees with the evaluation the runner made while running', () => {
    const { registry, thresholds } = run();
    const live = evaluateThresholds(thresholds, registry);
    const r = buildReport({
      startedAt: new Date(0),
      endedAt: new Date(1000),
      timeline: openModel({ ratePerSecond: 1, durationMs: 1000, seed: 1 }),
      registry,
      thresholds,
      abortedBy: live.abortedBy,
      abortedAtMs: 900,
    });
    expect(r.thresholds).toEqual(live.results);
    expect(r.verdict.abortedBy).toEqual(['avg(rebuffer_ratio)<0.01:abortOnFail']);
    expect(r.generators).toEqual([]);
    expect(r.cluster).toBeUndefined();
  });

  it('names the generators in warnings when there are several', () => {
    const hot = summarizeHealth([], { mean: 0, p99: 0, max: 0 }, 1.2, 1000);
    const cool = summarizeHealth([], { mean: 0, p99: 0, max: 0 }, 0.2, 1000);
    const r = buildReport({
      startedAt: new Date(0),
      endedAt: new Date(1000),
      timeline: closedModel({ viewers: 1, durationMs: 1000 }),
      registry: new MetricsRegistry(),
      thresholds: [],
      generators: [
        { name: 'g1', ...hot },
        { name: 'g2', ...cool },
      ],
    });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^generator g1 used 1.2 cores/);
    expect(r.verdict.passed).toBe(true);
  });
});

describe('renderReport', () => {
  function report(): LoadReport {
    const { registry, thresholds } = run();
    return buildReport({
      cluster: 'ci',
      startedAt: new Date('2030-01-01T00:00:00Z'),
      endedAt: new Date('2030-01-01T00:02:00Z'),
      seed: 7,
      timeline: herd({ viewers: 20, atMs: 30_000, durationMs: 120_000, seed: 7 }),
      registry,
      thresholds,
      chaos: parseChaos('kill-zone b@40s,heal@70s').map((step, i) =>
        i === 0 ? { step, ranAtMs: 40_000 } : { step },
      ),
      generators: [{ name: 'local', ...summarizeHealth([], { mean: 1, p99: 3, max: 9 }, 0.4, 120_000) }],
    });
  }

  it('shows what ran, QoE, the metrics, chaos, the generators, thresholds and the verdict', () => {
    const text = renderReport(report());
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'flix loadtest on ci: herd: 20 viewers at 30s, retries 5 × full jitter (base 200ms, cap 20s), for 2m0s',
    );
    expect(lines[1]).toBe('ran 2m0s from 2030-01-01T00:00:00.000Z, seed 7');
    for (const section of [
      'QUALITY OF EXPERIENCE',
      'TRENDS',
      'COUNTERS, RATES, GAUGES',
      'CHAOS',
      'GENERATORS',
      'THRESHOLDS',
    ]) {
      expect(lines).toContain(section);
    }
    expect(text).toMatch(/video start failures\s+1 \(4\.76%\)/);
    expect(text).toMatch(
      /video segments\s+0 from cache \(0%\), misses: 20 not yet cached, 0 edge unhealthy\/failover/,
    );
    expect(text).toMatch(/^start_ms\s+ms\s+20\s+100\s+195\s+/m);
    // series carry the tag filter a threshold would use
    expect(text).toMatch(/^ {2}start_ms\{zone:a\}\s+ms\s+10\s+/m);
    expect(text).toMatch(/^ {2}request_ms\{endpoint:edge-a,step:manifest\}/m);
    expect(text).toMatch(/^failed_plays\s+rate\s+4\.76% \(1\/21\)/m);
    expect(text).toMatch(/^viewers\s+gauge\s+20 \(min 20, max 20\)/m);
    expect(text).toMatch(/^40s\s+kill-zone b@40s\s+ran at 40s$/m);
    expect(text).toMatch(/^1m10s\s+heal@70s\s+not run$/m);
    expect(text).toMatch(/^PASS\s+p99\(start_ms\)<1000\s+p\(99\) = \d+/m);
    expect(text).toMatch(/^FAIL\s+failed_plays==0\s+rate = 0\.04762/m);
    expect(text).toMatch(/abortOnFail$/m);
    expect(lines.at(-1)).toBe('FAIL: 2 of 3 thresholds failed (exit 99)');
    expect(text).not.toContain('\u001b');
  });

  it('describes the open and closed models, and leaves out empty sections', () => {
    const base = {
      startedAt: new Date(0),
      endedAt: new Date(60_000),
      registry: new MetricsRegistry(),
      thresholds: [],
    };
    const open = renderReport(
      buildReport({ ...base, timeline: openModel({ ratePerSecond: 2.5, durationMs: 60_000, seed: 3 }) }),
    );
    expect(open.split('\n')[0]).toMatch(
      /^flix loadtest: open model: 2.5 arrivals\/s \(Poisson, \d+ planned\) for 1m0s$/,
    );
    expect(open).not.toContain('CHAOS');
    expect(open).not.toContain('THRESHOLDS');
    expect(open).not.toContain('WARNINGS');
    expect(open.split('\n').at(-1)).toBe('PASS (no thresholds)');
    const closed = renderReport(
      buildReport({ ...base, timeline: closedModel({ viewers: 300, rampMs: 20_000, durationMs: 120_000 }) }),
    );
    expect(closed.split('\n')[0]).toBe('flix loadtest: closed model: 300 viewers, ramp 20s, for 2m0s');
  });

  it('shows why a threshold has no value', () => {
    const r = buildReport({
      startedAt: new Date(0),
      endedAt: new Date(1000),
      timeline: closedModel({ viewers: 1, durationMs: 1000 }),
      registry: new MetricsRegistry(),
      thresholds: parseThresholds(['p99(start_ms)<200']),
      warnings: ['something odd'],
    });
    const text = renderReport(r);
    expect(text).toMatch(/^FAIL\s+p99\(start_ms\)<200\s+- \(no samples\)/m);
    expect(text).toContain('WARNINGS\n- something odd');
  });
});
