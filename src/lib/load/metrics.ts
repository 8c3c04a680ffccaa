/**
 * The load generator's measurements, k6-style: named metrics of four kinds, each sample optionally
 * tagged (by convention `step` — play, manifest, segment, heartbeat — and `endpoint` — elb-1,
 * edge-a, ...), so a threshold or a report can look at one step or one edge as well as at the whole.
 *
 * - trend: a distribution (start latency, rebuffer ratio). Percentiles come from an HDR histogram
 *   (3 significant digits whatever the range, fixed memory, mergeable), while count, sum, min and
 *   max are kept exactly, so `avg` and `max` thresholds never suffer the histogram's rounding.
 * - counter: a sum (rebuffers, bytes).
 * - rate: the share of true samples (failed plays, cache hits): passes ÷ total.
 * - gauge: a level (viewers in flight): the last value set, with its min and max.
 *
 * Registries merge (and go through JSON), so several generators can each measure and one report
 * can add them up. Pure, apart from the histograms' memory.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

export type MetricKind = 'trend' | 'counter' | 'rate' | 'gauge';

/** Tags of a sample, e.g. `{ step: 'segment', endpoint: 'edge-a' }`. Few values per key, never URLs. */
export type Tags = Readonly<Record<string, string>>;

/** What a threshold (or a report) reads from a metric. `p` is a percentile, 0-100. */
export type Aggregate = { fn: 'avg' | 'min' | 'max' | 'count' | 'rate' | 'value' } | { fn: 'p'; p: number };

/** Which aggregates each kind of metric has. `count` of a rate is its true samples. */
export const aggregatesOf: Readonly<Record<MetricKind, readonly Aggregate['fn'][]>> = {
  trend: ['avg', 'min', 'max', 'p', 'count'],
  counter: ['count'],
  rate: ['rate', 'count'],
  gauge: ['value', 'min', 'max'],
};

/** What a bare metric name means in a threshold (`failed_plays==0`): k6's natural aggregate. */
export function naturalAggregate(kind: MetricKind): Aggregate {
  return { fn: ({ trend: 'avg', counter: 'count', rate: 'rate', gauge: 'value' } as const)[kind] };
}

/** Count, min, mean, the usual percentiles and max of a trend; null (not 0) while it has no samples. */
export interface TrendSummary {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export type MetricValues =
  | { kind: 'trend'; values: TrendSummary }
  | { kind: 'counter'; values: { count: number } }
  | { kind: 'rate'; values: { rate: number | null; passes: number; total: number } }
  | { kind: 'gauge'; values: { value: number | null; min: number | null; max: number | null } };

/** One metric in a summary: the whole, then each tag combination seen. */
export type MetricSummary = MetricValues & {
  unit?: string;
  series: Array<{ tags: Tags } & MetricValues>;
};

export type MetricsSummary = Record<string, MetricSummary>;

/** What thresholds need of a set of metrics (a registry, or anything shaped like one). */
export interface MetricSource {
  kindOf(name: string): MetricKind | undefined;
  /** Names of every metric, for messages. */
  names(): string[];
  /** The aggregate over the samples whose tags include `tags`; undefined when there are none. */
  aggregate(name: string, agg: Aggregate, tags?: Tags): number | undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Options of a trend. */
export interface TrendOptions {
  /** `ms`, `s`, `bps`, `bytes`, `ratio`, ... Shown in reports; thresholds compare raw numbers. */
  unit?: string;
  /**
   * Decimal places kept in the histogram (it stores integers): 3 by default, 6 for `ratio`, so a
   * rebuffer ratio of 0.0004 is not rounded to 0. Exact min, max and mean do not depend on it.
   */
  decimals?: number;
}

/** At most this many tag combinations per metric: more means a tag carries an id, not a category. */
const MAX_SERIES = 1000;

function tagKey(tags: Tags | undefined): string {
  if (!tags) return '';
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '' : JSON.stringify(entries);
}

function matches(tags: Tags, filter: Tags): boolean {
  return Object.entries(filter).every(([k, v]) => tags[k] === v);
}

// ---------------------------------------------------------------------------------------------
// the data of one series, per kind

interface SeriesData<D> {
  merge(other: D): void;
  clone(): D;
  values(): MetricValues;
  aggregate(agg: Aggregate): number | undefined;
  toJSON(): unknown;
}

class TrendData implements SeriesData<TrendData> {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private hist: Histogram | undefined;

  constructor(readonly decimals: number) {}

  private get scale(): number {
    return 10 ** this.decimals;
  }

  private histogram(): Histogram {
    this.hist ??= build({ numberOfSignificantValueDigits: 3, autoResize: true });
    return this.hist;
  }

  add(value: number): void {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`a trend takes finite values >= 0, not ${value}`);
    }
    this.count++;
    this.sum += value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    this.histogram().recordValue(Math.round(value * this.scale));
  }

  merge(other: TrendData): void {
    if (other.decimals !== this.decimals) {
      throw new RangeError(`cannot merge trends kept to ${other.decimals} and ${this.decimals} decimals`);
    }
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    if (other.hist) this.histogram().add(other.hist);
  }

  clone(): TrendData {
    const c = new TrendData(this.decimals);
    c.merge(this);
    return c;
  }

  /**
   * The value at percentile `p`: the top of the histogram bucket holding it (at most 0.1% above
   * the exact value, never below, so a `<` threshold errs on the strict side), within the exact
   * min and max.
   */
  percentile(p: number): number | undefined {
    if (this.count === 0 || !this.hist) return undefined;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const v = this.hist.getValueAtPercentile(p) / this.scale;
    return Math.min(this.max, Math.max(this.min, v));
  }

  aggregate(agg: Aggregate): number | undefined {
    if (agg.fn === 'count') return this.count;
    if (this.count === 0) return undefined;
    if (agg.fn === 'avg') return this.sum / this.count;
    if (agg.fn === 'min') return this.min;
    if (agg.fn === 'max') return this.max;
    if (agg.fn === 'p') return this.percentile(agg.p);
    return undefined;
  }

  values(): MetricValues {
    const p = (q: number) => this.percentile(q) ?? null;
    const empty = this.count === 0;
    return {
      kind: 'trend',
      values: {
        count: this.count,
        min: empty ? null : this.min,
        mean: empty ? null : this.sum / this.count,
        p50: p(50),
        p90: p(90),
        p95: p(95),
        p99: p(99),
        max: empty ? null : this.max,
      },
    };
  }

  toJSON(): TrendJson {
    return {
      count: this.count,
      sum: this.sum,
      min: this.count === 0 ? null : this.min,
      max: this.count === 0 ? null : this.max,
      histogram: this.hist ? encodeIntoCompressedBase64(this.hist) : null,
    };
  }

  static fromJSON(decimals: number, j: TrendJson): TrendData {
    const t = new TrendData(decimals);
    t.count = j.count;
    t.sum = j.sum;
    t.min = j.min ?? Number.POSITIVE_INFINITY;
    t.max = j.max ?? Number.NEGATIVE_INFINITY;
    if (j.histogram) {
      t.hist = decodeFromCompressedBase64(j.histogram);
      t.hist.autoResize = true;
    }
    return t;
  }
}

interface TrendJson {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** HdrHistogram's compressed base64 encoding (the format every HdrHistogram port reads). */
  histogram: string | null;
}

class CounterData implements SeriesData<CounterData> {
  count = 0;
  merge(other: CounterData): void {
    this.count += other.count;
  }
  clone(): CounterData {
    return Object.assign(new CounterData(), { count: this.count });
  }
  aggregate(agg: Aggregate): number | undefined {
    return agg.fn === 'count' ? this.count : undefined;
  }
  values(): MetricValues {
    return { kind: 'counter', values: { count: this.count } };
  }
  toJSON() {
    return { count: this.count };
  }
}

class RateData implements SeriesData<RateData> {
  passes = 0;
  total = 0;
  merge(other: RateData): void {
    this.passes += other.passes;
    this.total += other.total;
  }
  clone(): RateData {
    return Object.assign(new RateData(), { passes: this.passes, total: this.total });
  }
  aggregate(agg: Aggregate): number | undefined {
    if (agg.fn === 'count') return this.passes;
    if (agg.fn === 'rate') return this.total === 0 ? undefined : this.passes / this.total;
    return undefined;
  }
  values(): MetricValues {
    const rate = this.total === 0 ? null : this.passes / this.total;
    return { kind: 'rate', values: { rate, passes: this.passes, total: this.total } };
  }
  toJSON() {
    return { passes: this.passes, total: this.total };
  }
}

/**
 * A gauge's series. Merged (several generators, or several tag combinations read together) the
 * values add up — a gauge counts something in flight on each part, such as viewers — and min and
 * max are the extremes any one part saw.
 */
class GaugeData implements SeriesData<GaugeData> {
  value: number | null = null;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  set(v: number): void {
    if (!Number.isFinite(v)) throw new RangeError(`a gauge takes finite values, not ${v}`);
    this.value = v;
    this.min = Math.min(this.min, v);
    this.max = Math.max(this.max, v);
  }
  merge(other: GaugeData): void {
    if (other.value === null) return;
    this.value = (this.value ?? 0) + other.value;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }
  clone(): GaugeData {
    const g = new GaugeData();
    g.merge(this);
    return g;
  }
  aggregate(agg: Aggregate): number | undefined {
    if (this.value === null) return undefined;
    if (agg.fn === 'value') return this.value;
    if (agg.fn === 'min') return this.min;
    if (agg.fn === 'max') return this.max;
    return undefined;
  }
  values(): MetricValues {
    const set = this.value !== null;
    return {
      kind: 'gauge',
      values: { value: this.value, min: set ? this.min : null, max: set ? this.max : null },
    };
  }
  toJSON() {
    return {
      value: this.value,
      min: this.value === null ? null : this.min,
      max: this.value === null ? null : this.max,
    };
  }
}

type AnyData = TrendData | CounterData | RateData | GaugeData;

// ---------------------------------------------------------------------------------------------
// metrics

/** A named metric: its whole, and one series per tag combination. */
abstract class Metric<D extends AnyData> {
  abstract readonly kind: MetricKind;
  /** Every sample, tagged or not. */
  protected total: D;
  /** Tagged samples, by tag combination. */
  protected readonly series = new Map<string, { tags: Tags; data: D }>();

  constructor(
    readonly name: string,
    readonly unit: string | undefined,
    protected readonly fresh: () => D,
  ) {
    this.total = fresh();
  }

  /** The data the sample goes to, besides the total. */
  protected seriesFor(tags: Tags | undefined): D | undefined {
    const key = tagKey(tags);
    if (key === '') return undefined;
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_SERIES) {
        throw new RangeError(
          `metric ${this.name} has over ${MAX_SERIES} tag combinations: tag by step and endpoint, not by id or URL`,
        );
      }
      s = { tags: { ...tags }, data: this.fresh() };
      this.series.set(key, s);
    }
    return s.data;
  }

  /** The samples whose tags include `filter` (all of them without one). */
  read(filter?: Tags): D {
    if (!filter || Object.keys(filter).length === 0) return this.total;
    const out = this.fresh();
    for (const s of this.series.values()) if (matches(s.tags, filter)) out.merge(s.data as never);
    return out;
  }

  summary(): MetricSummary {
    const series = [...this.series.values()]
      .sort((a, b) => (tagKey(a.tags) < tagKey(b.tags) ? -1 : 1))
      .map((s) => ({ tags: s.tags, ...s.data.values() }));
    return { ...this.total.values(), ...(this.unit ? { unit: this.unit } : {}), series } as MetricSummary;
  }

  /** Adds another metric's samples (same name and kind) to this one. */
  merge(other: Metric<D>): void {
    this.total.merge(other.total as never);
    for (const [key, s] of other.series) {
      const mine = this.series.get(key);
      if (mine) mine.data.merge(s.data as never);
      else this.series.set(key, { tags: s.tags, data: s.data.clone() as D });
    }
  }

  toJSON(): MetricJson {
    return {
      name: this.name,
      kind: this.kind,
      ...(this.unit ? { unit: this.unit } : {}),
      ...(this.total instanceof TrendData ? { decimals: this.total.decimals } : {}),
      total: this.total.toJSON(),
      series: [...this.series.values()].map((s) => ({ tags: s.tags, data: s.data.toJSON() })),
    };
  }

  /** Loads the data of a snapshot (made by toJSON) into this empty metric. */
  load(j: MetricJson, parse: (data: unknown) => D): void {
    this.total = parse(j.total);
    this.series.clear();
    for (const s of j.series) this.series.set(tagKey(s.tags), { tags: s.tags, data: parse(s.data) });
  }
}

export class Trend extends Metric<TrendData> {
  readonly kind = 'trend';
  readonly decimals: number;
  constructor(name: string, opts: TrendOptions = {}) {
    const decimals = opts.decimals ?? (opts.unit === 'ratio' ? 6 : 3);
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 9) {
      throw new RangeError(`a trend keeps 0-9 decimals, not ${decimals}`);
    }
    super(name, opts.unit, () => new TrendData(decimals));
    this.decimals = decimals;
  }
  /** Records a value (>= 0: durations, sizes, ratios). */
  add(value: number, tags?: Tags): void {
    const s = this.seriesFor(tags);
    this.total.add(value);
    s?.add(value);
  }
}

export class Counter extends Metric<CounterData> {
  readonly kind = 'counter';
  constructor(name: string, opts: { unit?: string } = {}) {
    super(name, opts.unit, () => new CounterData());
  }
  /** Adds `n` (default 1, never negative: a counter only grows). */
  add(n = 1, tags?: Tags): void {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`a counter grows by finite n >= 0, not ${n}`);
    const s = this.seriesFor(tags);
    this.total.count += n;
    if (s) s.count += n;
  }
}

export class Rate extends Metric<RateData> {
  readonly kind = 'rate';
  constructor(name: string) {
    super(name, undefined, () => new RateData());
  }
  /** One sample: true counts towards the rate (a failed play, for `failed_plays`). */
  add(ok: boolean, tags?: Tags): void {
    this.addCounts(ok ? 1 : 0, ok ? 0 : 1, tags);
  }
  /** Many samples at once: `passes` true and `fails` false (e.g. a play's cache hits and misses). */
  addCounts(passes: number, fails: number, tags?: Tags): void {
    for (const n of [passes, fails]) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`a rate counts whole samples >= 0, not ${n}`);
    }
    const s = this.seriesFor(tags);
    for (const d of s ? [this.total, s] : [this.total]) {
      d.passes += passes;
      d.total += passes + fails;
    }
  }
}

export class Gauge extends Metric<GaugeData> {
  readonly kind = 'gauge';
  constructor(name: string, opts: { unit?: string } = {}) {
    super(name, opts.unit, () => new GaugeData());
  }
  /**
   * Sets the level. Untagged, it is the whole's level; tagged, the level of that part, and the whole
   * follows the last value set either way (so set a tagged gauge's parts, or its whole, not both).
   */
  set(value: number, tags?: Tags): void {
    const s = this.seriesFor(tags);
    this.total.set(value);
    s?.set(value);
  }
}

export type AnyMetric = Trend | Counter | Rate | Gauge;

/** A registry as JSON: what a generator sends to be merged with others. */
export interface MetricsSnapshot {
  version: 1;
  metrics: MetricJson[];
}

export interface MetricJson {
  name: string;
  kind: MetricKind;
  unit?: string;
  decimals?: number;
  total: unknown;
  series: Array<{ tags: Tags; data: unknown }>;
}

/** Every metric of a run, by name. Asking twice for one name gives the same metric. */
export class MetricsRegistry implements MetricSource {
  private readonly metrics = new Map<string, AnyMetric>();

  trend(name: string, opts: TrendOptions = {}): Trend {
    return this.declare(name, 'trend', () => new Trend(name, opts), opts);
  }
  counter(name: string, opts: { unit?: string } = {}): Counter {
    return this.declare(name, 'counter', () => new Counter(name, opts), opts);
  }
  rate(name: string): Rate {
    return this.declare(name, 'rate', () => new Rate(name), {});
  }
  gauge(name: string, opts: { unit?: string } = {}): Gauge {
    return this.declare(name, 'gauge', () => new Gauge(name, opts), opts);
  }

  private declare<M extends AnyMetric>(
    name: string,
    kind: MetricKind,
    make: () => M,
    opts: { unit?: string; decimals?: number },
  ): M {
    const have = this.metrics.get(name);
    if (have) {
      if (have.kind !== kind) throw new TypeError(`metric ${name} is a ${have.kind}, not a ${kind}`);
      if (opts.unit !== undefined && opts.unit !== have.unit) {
        throw new TypeError(`metric ${name} is in ${have.unit ?? 'no unit'}, not ${opts.unit}`);
      }
      return have as M;
    }
    if (!NAME.test(name)) throw new TypeError(`"${name}" is not a metric name (letters, digits, _ and .)`);
    const m = make();
    this.metrics.set(name, m);
    return m;
  }

  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  kindOf(name: string): MetricKind | undefined {
    return this.metrics.get(name)?.kind;
  }

  names(): string[] {
    return [...this.metrics.keys()].sort();
  }

  aggregate(name: string, agg: Aggregate, tags?: Tags): number | undefined {
    const m = this.metrics.get(name);
    if (!m || !aggregatesOf[m.kind].includes(agg.fn)) return undefined;
    return m.read(tags).aggregate(agg);
  }

  /** The trend summary of one trend (all of it, or the samples with `tags`); undefined if no such trend. */
  trendSummary(name: string, tags?: Tags): TrendSummary | undefined {
    const m = this.metrics.get(name);
    if (m?.kind !== 'trend') return undefined;
    return (m.read(tags).values() as { values: TrendSummary }).values;
  }

  /** Every metric, by name in order: its whole and its series. */
  summary(): MetricsSummary {
    const out: MetricsSummary = {};
    for (const name of this.names()) out[name] = (this.metrics.get(name) as AnyMetric).summary();
    return out;
  }

  /** Adds another registry's (or snapshot's) samples; a metric of one name must be of one kind. */
  merge(other: MetricsRegistry | MetricsSnapshot): this {
    const from = other instanceof MetricsRegistry ? other : MetricsRegistry.fromJSON(other);
    for (const m of from.metrics.values()) {
      const mine =
        m.kind === 'trend'
          ? this.trend(m.name, { unit: m.unit, decimals: m.decimals })
          : m.kind === 'counter'
            ? this.counter(m.name, { unit: m.unit })
            : m.kind === 'rate'
              ? this.rate(m.name)
              : this.gauge(m.name, { unit: m.unit });
      mine.merge(m as never);
    }
    return this;
  }

  toJSON(): MetricsSnapshot {
    return { version: 1, metrics: this.names().map((n) => (this.metrics.get(n) as AnyMetric).toJSON()) };
  }

  static fromJSON(snapshot: MetricsSnapshot): MetricsRegistry {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.metrics)) {
      throw new TypeError('not a metrics snapshot (version 1)');
    }
    const r = new MetricsRegistry();
    for (const j of snapshot.metrics) {
      if (j.kind === 'trend') {
        const t = r.trend(j.name, { unit: j.unit, decimals: j.decimals });
        t.load(j, (d) => TrendData.fromJSON(t.decimals, d as TrendJson));
      } else if (j.kind === 'counter') {
        r.counter(j.name, { unit: j.unit }).load(j, (d) =>
          Object.assign(new CounterData(), { count: (d as { count: number }).count }),
        );
      } else if (j.kind === 'rate') {
        r.rate(j.name).load(j, (d) => Object.assign(new RateData(), d as { passes: number; total: number }));
      } else if (j.kind === 'gauge') {
        r.gauge(j.name, { unit: j.unit }).load(j, (d) => {
          const g = d as { value: number | null; min: number | null; max: number | null };
          const out = new GaugeData();
          if (g.value !== null) Object.assign(out, { value: g.value, min: g.min, max: g.max });
          return out;
        });
      } else {
        throw new TypeError(`metric ${j.name} has an unknown kind ${String(j.kind)}`);
      }
    }
    return r;
  }
}

/** One registry holding the samples of all of `parts` (generators); the parts are left as they were. */
export function mergeRegistries(parts: ReadonlyArray<MetricsRegistry | MetricsSnapshot>): MetricsRegistry {
  const out = new MetricsRegistry();
  for (const p of parts) out.merge(p);
  return out;
}
