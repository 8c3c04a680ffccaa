/**
 * The end of a load test: one report object (what `--out report.json` writes, stable enough for
 * scripts and CI to read), a plain-text summary of it for the terminal, and the verdict.
 *
 * Exit codes follow k6, so CI that knows k6 reads flix the same way: 0 when every threshold
 * passed, 99 when one failed (at the end, or by abortOnFail while running). A test that could not
 * run at all (cluster down, bad flags) is a FlixError with its own code (src/lib/core/errors.ts);
 * 99 is not there because only a load test has thresholds.
 */
import { renderTable } from '../core/table.js';
import { type ChaosStep, formatChaosStep } from './chaos-steps.js';
import type { MetricSummary, MetricsRegistry, MetricsSummary, Tags, TrendSummary } from './metrics.js';
import { declareQoeMetrics, type QoeSummary, qoeSummary } from './qoe.js';
import { describeTimeline, type Timeline, type TimelinePlan } from './schedule.js';
import {
  type DistortionLimits,
  defaultDistortionLimits,
  distortionWarnings,
  type GeneratorHealth,
} from './self-measure.js';
import { evaluateThresholds, type Threshold, type ThresholdResult } from './thresholds.js';

/** How `flix loadtest` exits once it ran. */
export const LoadExitCode = {
  ok: 0,
  /** A threshold failed (k6's ThresholdsHaveFailed, also when abortOnFail stopped the run). */
  thresholdsFailed: 99,
} as const;

export interface Verdict {
  passed: boolean;
  exitCode: (typeof LoadExitCode)[keyof typeof LoadExitCode];
  /** Sources of the thresholds that failed. */
  failed: string[];
  /** The run was stopped early by these abortOnFail thresholds. */
  abortedBy: string[];
  abortedAtMs?: number;
  /** One line for people. */
  summary: string;
}

/** The verdict of the final threshold results (and of an abort, if one stopped the run). */
export function verdictOf(
  results: readonly ThresholdResult[],
  abort: { abortedBy?: readonly string[]; abortedAtMs?: number } = {},
): Verdict {
  const failed = results.filter((r) => !r.pass).map((r) => r.threshold);
  const abortedBy = [...(abort.abortedBy ?? [])];
  const passed = failed.length === 0 && abortedBy.length === 0;
  const exitCode = passed ? LoadExitCode.ok : LoadExitCode.thresholdsFailed;
  const n = results.length;
  const summary = passed
    ? n === 0
      ? 'PASS (no thresholds)'
      : `PASS: ${n === 1 ? 'the threshold' : `all ${n} thresholds`} passed`
    : [
        `FAIL: ${failed.length} of ${n} threshold${n === 1 ? '' : 's'} failed`,
        abortedBy.length > 0
          ? `, run aborted${abort.abortedAtMs === undefined ? '' : ` at ${formatMs(abort.abortedAtMs)}`} by ${abortedBy.join(', ')}`
          : '',
        ` (exit ${exitCode})`,
      ].join('');
  return {
    passed,
    exitCode,
    failed,
    abortedBy,
    ...(abort.abortedAtMs === undefined ? {} : { abortedAtMs: abort.abortedAtMs }),
    summary,
  };
}

/** A chaos step as planned, and what came of it. */
export interface ChaosRecord {
  step: ChaosStep;
  /** the step in --chaos form */
  text: string;
  /** ms into the run it was carried out; absent when it was not (the run ended first) */
  ranAtMs?: number;
  error?: string;
}

export interface GeneratorRecord extends GeneratorHealth {
  name: string;
}

/** What `--out report.json` holds. */
export interface LoadReport {
  version: 1;
  tool: 'flix loadtest';
  cluster?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  seed?: number;
  schedule: TimelinePlan;
  chaos: ChaosRecord[];
  qoe: QoeSummary;
  metrics: MetricsSummary;
  thresholds: ThresholdResult[];
  generators: GeneratorRecord[];
  /** The generators' distortion warnings, then any the runner adds. */
  warnings: string[];
  verdict: Verdict;
}

export interface ReportInput {
  cluster?: string;
  startedAt: Date;
  endedAt: Date;
  seed?: number;
  timeline: Timeline;
  /** The merged metrics of every generator. */
  registry: MetricsRegistry;
  thresholds: readonly Threshold[];
  chaos?: ReadonlyArray<{ step: ChaosStep; ranAtMs?: number; error?: string }>;
  generators?: readonly GeneratorRecord[];
  abortedBy?: readonly string[];
  abortedAtMs?: number;
  warnings?: readonly string[];
  limits?: DistortionLimits;
}

/** The report: thresholds evaluated on the final metrics, QoE, warnings, verdict. */
export function buildReport(input: ReportInput): LoadReport {
  declareQoeMetrics(input.registry);
  const { results } = evaluateThresholds(input.thresholds, input.registry);
  const generators = [...(input.generators ?? [])];
  const warnings = [
    ...generators.flatMap((g) =>
      distortionWarnings(
        g,
        input.limits ?? defaultDistortionLimits,
        generators.length > 1 ? `generator ${g.name}` : undefined,
      ),
    ),
    ...(input.warnings ?? []),
  ];
  return {
    version: 1,
    tool: 'flix loadtest',
    ...(input.cluster ? { cluster: input.cluster } : {}),
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    durationMs: input.endedAt.getTime() - input.startedAt.getTime(),
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    schedule: describeTimeline(input.timeline),
    chaos: (input.chaos ?? []).map((c) => ({ ...c, text: formatChaosStep(c.step) })),
    qoe: qoeSummary(input.registry),
    metrics: input.registry.summary(),
    thresholds: results,
    generators,
    warnings,
    verdict: verdictOf(results, { abortedBy: input.abortedBy, abortedAtMs: input.abortedAtMs }),
  };
}

// ---------------------------------------------------------------------------------------------
// text

/** A number for a table: integers whole, others to 4 significant digits; '-' for none. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

export function formatPercent(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  return `${Number((x * 100).toPrecision(3))}%`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${formatNumber(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${formatNumber(s)}s`;
  return `${Math.floor(s / 60)}m${formatNumber(Math.round((s % 60) * 10) / 10)}s`;
}

/** `name{k:v,k2:v2}`: the form a threshold's tag filter takes, so a row can be copied into one. */
function seriesName(name: string, tags: Tags): string {
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`;
}

function scheduleLine(s: LoadReport['schedule']): string {
  if (s.model === 'closed') {
    return `closed model: ${s.viewers} viewers, ramp ${formatMs(s.rampMs)}, for ${formatMs(s.durationMs)}`;
  }
  if (s.model === 'open') {
    return `open model: ${formatNumber(s.ratePerSecond)} arrivals/s (Poisson, ${s.arrivals} planned) for ${formatMs(s.durationMs)}`;
  }
  return `herd: ${s.viewers} viewers at ${formatMs(s.atMs)}${s.spreadMs ? ` (over ${formatMs(s.spreadMs)})` : ''}, retries ${s.retry.maxRetries} × full jitter (base ${formatMs(s.retry.baseMs)}, cap ${formatMs(s.retry.capMs)}), for ${formatMs(s.durationMs)}`;
}

function trendCells(v: TrendSummary): string[] {
  return [v.count, v.min, v.mean, v.p50, v.p90, v.p95, v.p99, v.max].map(formatNumber);
}

function otherValue(m: MetricSummary | MetricSummary['series'][number]): string {
  if (m.kind === 'counter') return formatNumber(m.values.count);
  if (m.kind === 'rate') return `${formatPercent(m.values.rate)} (${m.values.passes}/${m.values.total})`;
  if (m.kind === 'gauge') {
    const g = m.values;
    return g.value === null
      ? '-'
      : `${formatNumber(g.value)} (min ${formatNumber(g.min)}, max ${formatNumber(g.max)})`;
  }
  return '';
}

function qoeRows(q: QoeSummary): string[][] {
  const st = q.videoStartTimeMs;
  return [
    ['attempts', `${q.attempts} (${q.started} started)`],
    [
      'video start time',
      st.count === 0
        ? '-'
        : `p50 ${formatNumber(st.p50)} ms, p95 ${formatNumber(st.p95)} ms, p99 ${formatNumber(st.p99)} ms, max ${formatNumber(st.max)} ms`,
    ],
    ['video start failures', `${q.videoStartFailures} (${formatPercent(q.videoStartFailureRate)})`],
    ['exits before video start', `${q.exitsBeforeVideoStart} (${formatPercent(q.exitBeforeVideoStartRate)})`],
    ['playback failures', String(q.playbackFailures)],
    [
      'rebuffering ratio',
      `${formatPercent(q.rebufferRatio)} (viewers' mean ${formatPercent(q.rebufferRatioPerViewer.mean)}, p95 ${formatPercent(q.rebufferRatioPerViewer.p95)})`,
    ],
    ['rebuffers', `${q.rebufferCount} (${formatNumber(q.rebuffersPerMinute)} per minute watched)`],
    [
      'average bitrate',
      q.averageBitrateBps === null ? '-' : `${formatNumber(q.averageBitrateBps / 1000)} kbps`,
    ],
    [
      'rendition switches',
      `${q.renditionSwitches.total} (${q.renditionSwitches.up} up, ${q.renditionSwitches.down} down; ${formatNumber(q.renditionSwitches.perStartedViewer)} per viewer)`,
    ],
    ['edge cache hit ratio', formatPercent(q.edgeCacheHitRatio)],
    [
      'video segments',
      `${q.segments.fromCache} from cache (${formatPercent(q.segments.hitRatio)}), misses: ${q.segments.notCached} not yet cached, ${q.segments.edgeUnhealthy} edge unhealthy/failover${q.segments.unknown ? `, ${q.segments.unknown} without a cache status` : ''}`,
    ],
    ['failovers', String(q.failovers)],
  ];
}

/** The report as plain text for a terminal (no colours): what ran, QoE, metrics, thresholds, verdict. */
export function renderReport(r: LoadReport): string {
  const out: string[] = [];
  out.push(`flix loadtest${r.cluster ? ` on ${r.cluster}` : ''}: ${scheduleLine(r.schedule)}`);
  out.push(
    `ran ${formatMs(r.durationMs)} from ${r.startedAt}${r.seed === undefined ? '' : `, seed ${r.seed}`}`,
  );

  out.push('', 'QUALITY OF EXPERIENCE', renderTable(['measure', 'value'], qoeRows(r.qoe)));

  const trends: string[][] = [];
  const others: string[][] = [];
  for (const [name, m] of Object.entries(r.metrics)) {
    const unit = m.unit ?? '';
    if (m.kind === 'trend') {
      trends.push([name, unit, ...trendCells(m.values)]);
      for (const s of m.series)
        if (s.kind === 'trend') trends.push([`  ${seriesName(name, s.tags)}`, unit, ...trendCells(s.values)]);
    } else {
      others.push([name, m.kind, unit, otherValue(m)]);
      for (const s of m.series) others.push([`  ${seriesName(name, s.tags)}`, '', unit, otherValue(s)]);
    }
  }
  if (trends.length > 0) {
    out.push(
      '',
      'TRENDS',
      renderTable(['metric', 'unit', 'count', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'], trends),
    );
  }
  if (others.length > 0)
    out.push('', 'COUNTERS, RATES, GAUGES', renderTable(['metric', 'kind', 'unit', 'value'], others));

  if (r.chaos.length > 0) {
    const rows = r.chaos.map((c) => [
      formatMs(c.step.atMs),
      c.text,
      c.error ? `failed: ${c.error}` : c.ranAtMs === undefined ? 'not run' : `ran at ${formatMs(c.ranAtMs)}`,
    ]);
    out.push('', 'CHAOS', renderTable(['at', 'step', 'outcome'], rows));
  }

  if (r.generators.length > 0) {
    const rows = r.generators.map((g) => [
      g.name,
      formatNumber(g.cpuCoresMean),
      formatNumber(g.cpuCoresMax),
      formatNumber(g.loopLagP99Ms),
      formatNumber(g.loopLagMaxMs),
    ]);
    out.push(
      '',
      'GENERATORS',
      renderTable(['generator', 'cpu cores', 'cpu max', 'loop lag p99 ms', 'loop lag max ms'], rows),
    );
  }

  if (r.thresholds.length > 0) {
    const rows = r.thresholds.map((t) => [
      t.pass ? 'PASS' : 'FAIL',
      t.threshold,
      t.observed === undefined
        ? `- (${t.reason ?? 'no value'})`
        : `${t.aggregate} = ${formatNumber(t.observed)}`,
      t.abortOnFail ? 'abortOnFail' : '',
    ]);
    out.push('', 'THRESHOLDS', renderTable(['result', 'threshold', 'observed', ''], rows));
  }

  if (r.warnings.length > 0) out.push('', 'WARNINGS', ...r.warnings.map((w) => `- ${w}`));
  out.push('', r.verdict.summary);
  return out.join('\n');
}
