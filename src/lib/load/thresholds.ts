/**
 * Pass/fail criteria of a load test, k6-style, given as `--threshold` (repeatable):
 *
 *   THRESHOLD  := EXPR OP NUMBER['%'] [':abortOnFail' ['=' DURATION]]
 *   EXPR       := AGG '(' METRIC ')' | METRIC
 *   AGG        := avg | min | max | med | count | rate | value | pNN | p(NN)     (NN may have decimals)
 *   METRIC     := NAME ['{' TAG ':' VALUE (',' TAG ':' VALUE)* '}']
 *   OP         := < | <= | > | >= | == | !=
 *
 *   p99(start_ms)<200            p(95)(start_ms)<=150        avg(rebuffer_ratio)<0.01
 *   max(start_ms{step:play})<2000  rate(failed_plays)<0.001  count(rebuffers)==0
 *   failed_plays==0              failed_plays<=0.1%          p99(start_ms)<200:abortOnFail
 *   p99(start_ms)<200:abortOnFail=30s
 *
 * A bare name means the metric's natural aggregate (counter → count, rate → rate, trend → avg,
 * gauge → value). `N%` is N/100. A tag filter reads only the samples carrying those tags.
 * `:abortOnFail` stops the run as soon as the threshold fails while it runs (k6's abortOnFail);
 * `=DURATION` waits that long into the run before it may (k6's delayAbortEval), so the first few
 * slow starts of a cold cache do not end a test at once. A threshold over no samples (no play
 * started, so no start time) fails at the end: no evidence is not a pass. It never aborts a run.
 *
 * Parsing is pure and throws usage FlixErrors naming the bad part; evaluation reads any MetricSource.
 */
import { FlixError } from '../core/errors.js';
import { type Aggregate, aggregatesOf, type MetricSource, naturalAggregate, type Tags } from './metrics.js';
import { parseDuration } from './schedule.js';

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  /** The text as given, for reports and messages. */
  source: string;
  metric: string;
  /** Only samples with these tags count; {} for all. */
  tags: Tags;
  /** undefined: the metric's natural aggregate, known once its kind is. */
  aggregate: Aggregate | undefined;
  op: Comparison;
  /** The number compared against (`0.1%` is 0.001). */
  target: number;
  abortOnFail: boolean;
  /** With abortOnFail: ms into the run before a failure may abort it. */
  abortGraceMs: number;
}

const SYNTAX =
  'write it like p99(start_ms)<200, p(95)(start_ms)<=150, rate(failed_plays)<0.1% or failed_plays==0, optionally followed by :abortOnFail or :abortOnFail=30s';

function bad(text: string, what: string): FlixError {
  return new FlixError(`threshold "${text}": ${what}`, { code: 'usage', nextStep: SYNTAX });
}

const OPS: readonly Comparison[] = ['<=', '>=', '==', '!=', '<', '>'];

/** Where the comparison starts: the first of < > = ! outside parentheses and braces. */
function findOperator(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    else if (depth === 0 && (c === '<' || c === '>' || c === '=' || c === '!')) return i;
  }
  return -1;
}

/** `avg`, `p99`, `p(99.9)`, `med`, ... as an Aggregate. */
function parseAggregate(text: string, token: string): Aggregate {
  const t = token.trim();
  if (t === 'med') return { fn: 'p', p: 50 };
  if (t === 'avg' || t === 'min' || t === 'max' || t === 'count' || t === 'rate' || t === 'value')
    return { fn: t };
  const m = /^p(?:\(\s*([^)]*?)\s*\)|(\d+(?:\.\d+)?))$/.exec(t);
  if (m) {
    const p = Number(m[1] ?? m[2]);
    if (!(m[1] ?? m[2]) || !Number.isFinite(p) || p < 0 || p > 100) {
      throw bad(text, `"${t}": a percentile is a number from 0 to 100`);
    }
    return { fn: 'p', p };
  }
  throw bad(text, `unknown aggregate "${t}"; use avg, min, max, med, count, rate, value, p99 or p(99.9)`);
}

/** `name` or `name{tag:value,...}`. */
function parseMetric(text: string, token: string): { metric: string; tags: Tags } {
  const t = token.trim();
  const m = /^([^{}\s]*)\s*(?:\{([^{}]*)\})?$/.exec(t);
  const name = m?.[1] ?? t;
  if (!m || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) {
    throw bad(text, `"${t}" is not a metric name (letters, digits, _ and ., optionally {tag:value,...})`);
  }
  const tags: Record<string, string> = {};
  if (m[2] !== undefined) {
    for (const pair of m[2].split(',')) {
      const kv = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^:,\s]+)\s*$/.exec(pair);
      if (!kv) throw bad(text, `"${pair.trim()}" in {${m[2]}} is not tag:value`);
      tags[kv[1] as string] = kv[2] as string;
    }
  }
  return { metric: name, tags };
}

/** The left side: `agg(metric)` or a bare `metric` (or, given `metric`, only `agg`). */
function parseExpression(
  text: string,
  lhs: string,
  metric: string | undefined,
): Pick<Threshold, 'metric' | 'tags' | 'aggregate'> {
  const t = lhs.trim();
  if (t === '') throw bad(text, 'nothing before the comparison; name a metric, e.g. p99(start_ms)');
  if (metric !== undefined) {
    return { ...parseMetric(text, metric), aggregate: parseAggregate(text, t) };
  }
  // agg(metric): the aggregate is everything before the last top-level parenthesised group
  if (t.endsWith(')')) {
    let depth = 0;
    let open = -1;
    for (let i = t.length - 1; i >= 0; i--) {
      if (t[i] === ')') depth++;
      else if (t[i] === '(' && --depth === 0) {
        open = i;
        break;
      }
    }
    const agg = open > 0 ? t.slice(0, open) : '';
    if (open <= 0 || agg.trim() === '' || /^p\s*$/.test(agg)) {
      throw bad(text, `"${t}" is not aggregate(metric), e.g. p99(start_ms) or p(99)(start_ms)`);
    }
    return { ...parseMetric(text, t.slice(open + 1, -1)), aggregate: parseAggregate(text, agg) };
  }
  return { ...parseMetric(text, t), aggregate: undefined };
}

/**
 * Parses one threshold (syntax in the file comment). With `opts.metric` (a k6 config keyed by
 * metric), the expression is an aggregate only: `p(99)<200`.
 */
export function parseThreshold(text: string, opts: { metric?: string } = {}): Threshold {
  const source = text.trim();
  if (source === '') throw bad(text, 'it is empty');
  const at = findOperator(source);
  if (at < 0) throw bad(text, 'no comparison: use <, <=, >, >=, == or !=');
  const rest = source.slice(at);
  const op = OPS.find((o) => rest.startsWith(o));
  if (!op || /^[<>=!]/.test(rest.slice(op.length))) {
    const shown = /^[<>=!]+/.exec(rest)?.[0] ?? rest[0];
    throw bad(text, `"${shown}" is not a comparison: use <, <=, >, >=, == or !=`);
  }
  const expr = parseExpression(text, source.slice(0, at), opts.metric);
  const [valueText = '', ...options] = rest.slice(op.length).split(':');
  const v = valueText.trim();
  const num = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?(%?)$/i.exec(v);
  if (!num) {
    throw bad(text, v === '' ? `nothing to compare with after "${op}"` : `"${v}" is not a number (or N%)`);
  }
  const target = num[1] ? Number(v.slice(0, -1)) / 100 : Number(v);
  let abortOnFail = false;
  let abortGraceMs = 0;
  for (const raw of options) {
    const o = /^\s*abortOnFail\s*(?:=\s*(.*?))?\s*$/.exec(raw);
    if (!o) throw bad(text, `unknown option "${raw.trim()}"; the only option is :abortOnFail[=DURATION]`);
    abortOnFail = true;
    if (o[1] !== undefined) {
      try {
        abortGraceMs = parseDuration(o[1]);
      } catch {
        throw bad(text, `"${o[1]}" after abortOnFail= is not a duration (e.g. 30s, 1m30s)`);
      }
    }
  }
  return { source, ...expr, op, target, abortOnFail, abortGraceMs };
}

/** Parses every `--threshold`; the first bad one throws. */
export function parseThresholds(texts: readonly string[]): Threshold[] {
  return texts.map((t) => parseThreshold(t));
}

/** One k6-config entry: an expression, or an object with k6's option names. */
export type ThresholdConfigEntry =
  | string
  | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

/**
 * Thresholds from a k6-shaped config (`{ start_ms: ['p(99)<200', { threshold: 'p(95)<150',
 * abortOnFail: true, delayAbortEval: '10s' }] }`), the key being a metric (with tags if any).
 */
export function thresholdsFromConfig(
  config: Readonly<Record<string, readonly ThresholdConfigEntry[]>>,
): Threshold[] {
  const out: Threshold[] = [];
  for (const [metric, entries] of Object.entries(config)) {
    for (const entry of entries) {
      const text = typeof entry === 'string' ? entry : entry.threshold;
      const t = parseThreshold(text, { metric });
      const source = `${metric}: ${t.source}`;
      if (typeof entry === 'string') out.push({ ...t, source });
      else {
        const grace = entry.delayAbortEval;
        out.push({
          ...t,
          source,
          abortOnFail: t.abortOnFail || entry.abortOnFail === true,
          abortGraceMs:
            grace === undefined ? t.abortGraceMs : parseDuration(grace, `delayAbortEval of ${metric}`),
        });
      }
    }
  }
  return out;
}

/** How an aggregate reads in a report: `p(99)`, `avg`, `rate`. */
export function formatAggregate(a: Aggregate): string {
  return a.fn === 'p' ? `p(${a.p})` : a.fn;
}

/** The aggregate a threshold reads from a metric of `kind`. */
function resolve(t: Threshold, source: Pick<MetricSource, 'kindOf'>): Aggregate | undefined {
  const kind = source.kindOf(t.metric);
  if (!kind) return undefined;
  return t.aggregate ?? naturalAggregate(kind);
}

/**
 * Checks before a run that every threshold names a metric the run records and an aggregate that
 * metric has (no p99 of a counter); throws a usage FlixError naming the threshold otherwise.
 */
export function checkThresholds(
  thresholds: readonly Threshold[],
  source: Pick<MetricSource, 'kindOf' | 'names'>,
): void {
  for (const t of thresholds) {
    const kind = source.kindOf(t.metric);
    if (!kind) {
      throw new FlixError(`threshold "${t.source}": no metric named ${t.metric}`, {
        code: 'usage',
        nextStep: `the metrics are: ${source.names().join(', ')}`,
      });
    }
    const agg = resolve(t, source) as Aggregate;
    if (!aggregatesOf[kind].includes(agg.fn)) {
      const has = aggregatesOf[kind].map((f) => (f === 'p' ? 'pNN' : f)).join(', ');
      throw new FlixError(
        `threshold "${t.source}": ${t.metric} is a ${kind}, which has no ${formatAggregate(agg)}`,
        {
          code: 'usage',
          nextStep: `a ${kind} has ${has}`,
        },
      );
    }
  }
}

export interface ThresholdResult {
  threshold: string;
  metric: string;
  tags: Tags;
  /** The aggregate read, e.g. `p(99)`; the natural one for a bare name. */
  aggregate: string;
  op: Comparison;
  target: number;
  /** undefined when there was nothing to read (no samples, or no such metric). */
  observed: number | undefined;
  pass: boolean;
  abortOnFail: boolean;
  /** Why it failed without a value: `no samples`, `no metric named x`, `a counter has no p(99)`. */
  reason?: string;
}

/** a OP b, with == and != forgiving float noise (0.1 + 0.2 == 0.3). */
export function compare(a: number, op: Comparison, b: number): boolean {
  const eq = Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  switch (op) {
    case '<':
      return a < b && !eq;
    case '<=':
      return a <= b || eq;
    case '>':
      return a > b && !eq;
    case '>=':
      return a >= b || eq;
    case '==':
      return eq;
    case '!=':
      return !eq;
  }
}

/** Evaluates one threshold against the metrics as they are now. */
export function evaluateThreshold(t: Threshold, source: MetricSource): ThresholdResult {
  const base = {
    threshold: t.source,
    metric: t.metric,
    tags: t.tags,
    op: t.op,
    target: t.target,
    abortOnFail: t.abortOnFail,
  };
  const kind = source.kindOf(t.metric);
  const agg = resolve(t, source);
  if (!kind || !agg) {
    return {
      ...base,
      aggregate: t.aggregate ? formatAggregate(t.aggregate) : '?',
      observed: undefined,
      pass: false,
      reason: `no metric named ${t.metric}`,
    };
  }
  const aggregate = formatAggregate(agg);
  if (!aggregatesOf[kind].includes(agg.fn)) {
    return { ...base, aggregate, observed: undefined, pass: false, reason: `a ${kind} has no ${aggregate}` };
  }
  const observed = source.aggregate(t.metric, agg, t.tags);
  if (observed === undefined) return { ...base, aggregate, observed, pass: false, reason: 'no samples' };
  return { ...base, aggregate, observed, pass: compare(observed, t.op, t.target) };
}

export interface ThresholdsOutcome {
  results: ThresholdResult[];
  /** Every threshold passed. */
  passed: boolean;
  /** An abortOnFail threshold failed on real samples past its grace: stop the run. */
  abort: boolean;
  /** The thresholds that call for the abort. */
  abortedBy: string[];
}

/**
 * Evaluates every threshold. `elapsedMs` (time into the run) decides whether an abortOnFail
 * failure may abort yet; without it (the final evaluation) it always may.
 */
export function evaluateThresholds(
  thresholds: readonly Threshold[],
  source: MetricSource,
  opts: { elapsedMs?: number } = {},
): ThresholdsOutcome {
  const results = thresholds.map((t) => evaluateThreshold(t, source));
  const abortedBy = thresholds
    .filter((t, i) => {
      const r = results[i] as ThresholdResult;
      return (
        t.abortOnFail &&
        !r.pass &&
        r.observed !== undefined &&
        (opts.elapsedMs === undefined || opts.elapsedMs >= t.abortGraceMs)
      );
    })
    .map((t) => t.source);
  return { results, passed: results.every((r) => r.pass), abort: abortedBy.length > 0, abortedBy };
}
